-- Records kept by law after a subject's erasure (transaction records, 电子商务法 art. 31) carry the day the daily
-- retention purge disposes of them: the first local day after their period (lib/keptRecords.ts).
ALTER TABLE "cases" ADD COLUMN "purge_on" DATE;
CREATE INDEX "cases_purge_on_idx" ON "cases" ("purge_on") WHERE "purge_on" IS NOT NULL;

-- The audit trail stays append-only, except for the purge of a kept case record past its period: the purge sets
-- casework.kept_record_purge to on in its own transaction (SET LOCAL), and only then may a whole case trail be deleted.
-- The function body writes its semicolons as \073 (octal): the migration runner splits statements on every semicolon.
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS
E'BEGIN IF TG_OP = ''DELETE'' AND current_setting(''casework.kept_record_purge'', true) = ''on'' THEN RETURN OLD\073 END IF\073 RAISE EXCEPTION ''audit_events is append-only (% refused)'', TG_OP USING ERRCODE = ''insufficient_privilege''\073 END\073';
