-- The steps a case went through (one span per step entered, activities/caseWrites.ts) and the payload that closed it:
-- what reports read (the complaints report, policy 7.4 and 8.2). Cases opened before this have spans from their
-- next step on.
ALTER TABLE "cases" ADD COLUMN "closing" JSONB;

CREATE TABLE "case_steps" (
    "id" BIGSERIAL NOT NULL,
    "case_id" TEXT NOT NULL,
    "step" TEXT NOT NULL,
    "entered_at" TIMESTAMP(3) NOT NULL,
    "left_at" TIMESTAMP(3),
    "next_step" TEXT,

    CONSTRAINT "case_steps_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "case_steps_case_id_entered_at_idx" ON "case_steps"("case_id", "entered_at");

-- Reports: the cases of a type opened in a period.
CREATE INDEX "cases_type_created_at_idx" ON "cases"("type", "created_at");
