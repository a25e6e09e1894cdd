-- Every closed case record is dated for its purge (lib/keptRecords.ts dateKeptCaseRecords, run by the daily retention
-- purge first): the closed cases not yet dated, found without reading the rest.
CREATE INDEX "cases_closed_undated_idx" ON "cases" ("id") WHERE "purge_on" IS NULL AND "closed_at" IS NOT NULL;
