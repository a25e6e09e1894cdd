-- Personal-data requests (policy 2.3-2.4, PIPL arts. 44-47 and 50): the request, its identity check, its answer.
ALTER TABLE "subjects" ADD COLUMN "processing_stopped_by" TEXT;

CREATE TABLE "personal_data_requests" (
    "case_id" TEXT NOT NULL,
    "subject_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "channel" TEXT,
    "code_hash" TEXT,
    "code_seq" INTEGER NOT NULL DEFAULT 0,
    "code_expires_at" TIMESTAMP(3),
    "code_attempts" INTEGER NOT NULL DEFAULT 0,
    "code_max_attempts" INTEGER NOT NULL DEFAULT 5,
    "verified_at" TIMESTAMP(3),
    "answer" JSONB,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "answered_at" TIMESTAMP(3),

    CONSTRAINT "personal_data_requests_pkey" PRIMARY KEY ("case_id")
);

CREATE INDEX "personal_data_requests_subject_id_idx" ON "personal_data_requests"("subject_id");

-- The fields of a correction: the new value until applied, the old one only as a keyed fingerprint.
CREATE TABLE "personal_data_corrections" (
    "case_id" TEXT NOT NULL,
    "field" TEXT NOT NULL,
    "new_value" TEXT,
    "old_fingerprint" TEXT,
    "applied_at" TIMESTAMP(3),

    CONSTRAINT "personal_data_corrections_pkey" PRIMARY KEY ("case_id","field")
);

ALTER TABLE "personal_data_corrections" ADD CONSTRAINT "personal_data_corrections_case_id_fkey" FOREIGN KEY ("case_id") REFERENCES "personal_data_requests"("case_id") ON DELETE RESTRICT ON UPDATE CASCADE;
