-- The order in which a case queued its e-mails: several are queued in one transaction (a step's writes), where
-- created_at and next_attempt_at are the same instant.
ALTER TABLE "notifications" ADD COLUMN "queued_seq" BIGSERIAL NOT NULL;
