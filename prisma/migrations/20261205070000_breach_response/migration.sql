-- Breach response (policy 6.4, PIPL art. 57): the breach row with its description and findings, the affected subjects
-- found by the investigation, and the simulated regulator notifier's filings.
CREATE TABLE "breach_records" (
    "case_id" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "detected_at" TIMESTAMP(3) NOT NULL,
    "systems" JSONB NOT NULL,
    "description" TEXT,
    "monitoring_event_id" TEXT,
    "complaint_case_id" TEXT,
    "cause" TEXT,
    "categories" JSONB,
    "window_from" TIMESTAMP(3),
    "window_to" TIMESTAMP(3),
    "affected_systems" JSONB,
    "investigated_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "breach_records_pkey" PRIMARY KEY ("case_id")
);
CREATE UNIQUE INDEX "breach_records_monitoring_event_id_key" ON "breach_records"("monitoring_event_id");

CREATE TABLE "breach_affected_subjects" (
    "case_id" TEXT NOT NULL,
    "subject_id" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "recipient_id" TEXT,
    "status" TEXT NOT NULL DEFAULT 'found',
    "queued_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "breach_affected_subjects_pkey" PRIMARY KEY ("case_id", "subject_id")
);
CREATE INDEX "breach_affected_subjects_subject_id_idx" ON "breach_affected_subjects"("subject_id");

CREATE TABLE "regulator_reports" (
    "idempotency_key" TEXT NOT NULL,
    "report_id" TEXT NOT NULL,
    "case_id" TEXT NOT NULL,
    "contents" JSONB NOT NULL,
    "accepted_at" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "regulator_reports_pkey" PRIMARY KEY ("idempotency_key")
);
CREATE INDEX "regulator_reports_case_id_idx" ON "regulator_reports"("case_id");
