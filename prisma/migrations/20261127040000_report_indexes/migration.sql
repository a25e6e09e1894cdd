-- Indexes for the SLA breach metric (audit events by type) and the repair SLA report (tasks by case type, SLA and creation time).
CREATE INDEX "audit_events_type_idx" ON "audit_events"("type");
CREATE INDEX "tasks_case_type_sla_name_created_at_idx" ON "tasks"("case_type", "sla_name", "created_at");
