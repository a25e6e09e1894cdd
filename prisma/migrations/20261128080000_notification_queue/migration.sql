-- The task queue of the worker whose case queued the e-mail: that queue's dispatchers deliver it.
ALTER TABLE "notifications" ADD COLUMN "queue" TEXT;
