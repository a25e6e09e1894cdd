-- The case's running deadlines are written by concurrent activities (a task closing in an update handler,
-- the next step in the main flow). Each write carries the workflow's event sequence number, and only a
-- newer write replaces the list.
ALTER TABLE "cases" ADD COLUMN "deadlines_version" INTEGER NOT NULL DEFAULT 0;
