-- The access record of personal data (policy 2.2.2): every read of personal fields in clear by a staff member, with
-- who, what (table and columns, how many rows), which case and subject, and why (the purpose code).
CREATE TABLE "personal_data_reads" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "principal_id" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "subject_id" TEXT,
    "case_id" TEXT,
    "table_name" TEXT NOT NULL,
    "columns" TEXT[],
    "rows" INTEGER NOT NULL,
    "purpose" TEXT NOT NULL,
    "route" TEXT NOT NULL,
    CONSTRAINT "personal_data_reads_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "personal_data_reads_subject_id_at_idx" ON "personal_data_reads"("subject_id", "at");
CREATE INDEX "personal_data_reads_at_idx" ON "personal_data_reads"("at");
