-- Report facets (processes/reports.ts): enums the reports of a process group by, fixed at the opening (the category and
-- channel of a complaint), on the case row, and the stage spans denormalised for reports that read them without a join:
-- each span carries the type of its case, opening time, merchant and facets, and its duration once it ends.
ALTER TABLE "cases" ADD COLUMN "facets" TEXT[] NOT NULL DEFAULT '{}';

ALTER TABLE "case_steps"
  ADD COLUMN "case_type" TEXT,
  ADD COLUMN "opened_at" TIMESTAMP(3),
  ADD COLUMN "merchant_id" TEXT,
  ADD COLUMN "facets" TEXT[] NOT NULL DEFAULT '{}',
  ADD COLUMN "duration_ms" BIGINT;

-- The facets of complaints: category, then channel (processes/complaint.ts).
UPDATE "cases" c SET "facets" = ARRAY[r."category", r."channel"] FROM "complaints" r WHERE r."case_id" = c."id";

UPDATE "case_steps" s SET
  "case_type" = c."type", "opened_at" = c."created_at", "merchant_id" = c."merchant_id", "facets" = c."facets",
  "duration_ms" = CASE WHEN s."left_at" IS NOT NULL THEN round(extract(epoch FROM s."left_at" - s."entered_at") * 1000)::bigint END
FROM "cases" c WHERE c."id" = s."case_id";
DELETE FROM "case_steps" WHERE "case_type" IS NULL;

ALTER TABLE "case_steps" ALTER COLUMN "case_type" SET NOT NULL, ALTER COLUMN "opened_at" SET NOT NULL;

CREATE INDEX "case_steps_case_type_opened_at_idx" ON "case_steps"("case_type", "opened_at");
