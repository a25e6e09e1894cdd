-- When the case's workflow was started. A case's workflow id runs once: an idempotent replay of the
-- opening request re-starts the workflow only while this is NULL (the first start failed).
ALTER TABLE "cases" ADD COLUMN "workflow_started_at" TIMESTAMP(3);
UPDATE "cases" SET "workflow_started_at" = "created_at";
