-- A correction's field carries when it was asked for, so that a breach's window dates it like every other personal row
-- (lib/personalData.ts touchedSubjectsPredicate): without a time column a table is counted as touched whatever the
-- window. Rows written before take their request's time.
ALTER TABLE "personal_data_corrections" ADD COLUMN "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
UPDATE "personal_data_corrections" c SET "created_at" = r."created_at" FROM "personal_data_requests" r WHERE r."case_id" = c."case_id";
