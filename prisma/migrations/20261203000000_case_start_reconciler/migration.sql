-- The task queue a case's workflow starts on: the reconciler of that queue starts a case whose start a crash
-- prevented (processes/caseReconciler.ts). Cases opened before it carry NULL.
ALTER TABLE "cases" ADD COLUMN "task_queue" TEXT;
-- The reconciler's look-up: cases whose workflow has not written yet, oldest first (few rows: a case leaves the index
-- at its workflow's first write).
CREATE INDEX "cases_not_started_idx" ON "cases" ("created_at") WHERE "workflow_started_at" IS NULL;
