-- The complaints report (processes/complaint.report.ts, policy 7.4, 8.2): per grouping, a complaint's stage spans in
-- the order the report aggregates them (group, stage, duration), carrying the opening time and the next step, so a
-- period's exact median and p95 per group and stage read one index in order: no hash of the spans, no sort. Partial:
-- only complaints' spans, and not the closed step, so other processes' step writes never touch them. The category and
-- channel are the complaint's report facets (1 and 2, policy/complaints.ts complaintReportFacets), the facets column
-- is included so that the index answers alone (PostgreSQL reads an expression's column from the index, not the row).
CREATE INDEX "case_steps_complaint_merchant_idx" ON "case_steps" ("merchant_id" COLLATE "C", "step" COLLATE "C", "duration_ms")
  INCLUDE ("opened_at", "next_step") WHERE "case_type" = 'complaint' AND "step" <> 'closed';
CREATE INDEX "case_steps_complaint_category_idx" ON "case_steps" (("facets"[1]) COLLATE "C", "step" COLLATE "C", "duration_ms")
  INCLUDE ("opened_at", "next_step", "facets") WHERE "case_type" = 'complaint' AND "step" <> 'closed';
CREATE INDEX "case_steps_complaint_channel_idx" ON "case_steps" (("facets"[2]) COLLATE "C", "step" COLLATE "C", "duration_ms")
  INCLUDE ("opened_at", "next_step", "facets") WHERE "case_type" = 'complaint' AND "step" <> 'closed';
