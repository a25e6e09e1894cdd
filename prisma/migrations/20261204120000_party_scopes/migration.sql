-- Roles and party scopes declared by processes: a role is text checked against the catalogue (no database enum),
-- a principal carries zero or more party scopes, and a case keeps its party references.
ALTER TABLE "principals" ALTER COLUMN "role" TYPE TEXT USING "role"::text;
ALTER TABLE "tasks" ALTER COLUMN "role" TYPE TEXT USING "role"::text;
DROP TYPE "Role";

ALTER TABLE "principals" ADD COLUMN "scopes" JSONB NOT NULL DEFAULT '[]';
-- Existing merchant principals keep seeing their own merchant's cases: their merchant id becomes their scope.
UPDATE "principals" SET "scopes" = jsonb_build_array(jsonb_build_object('kind', 'merchant', 'value', "merchant_id")) WHERE "role" = 'merchant' AND "merchant_id" IS NOT NULL;

CREATE TABLE "case_parties" (
    "case_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "case_parties_pkey" PRIMARY KEY ("case_id", "kind", "value")
);

CREATE INDEX "case_parties_kind_value_idx" ON "case_parties"("kind", "value");

ALTER TABLE "case_parties" ADD CONSTRAINT "case_parties_case_id_fkey" FOREIGN KEY ("case_id") REFERENCES "cases"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
