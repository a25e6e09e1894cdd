-- One subject per person whose personal data the platform holds (policy 2.2-2.4, PIPL art. 4), and the references the
-- outside world names it by: every row holding a person's data points to it (lib/personalData.ts).
-- Subject ids are opaque and random (sub_ and 32 hex digits), never derived from personal data.

-- CreateTable
CREATE TABLE "subjects" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'active',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "erased_at" TIMESTAMP(3),

    CONSTRAINT "subjects_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "subject_refs" (
    "kind" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "subject_id" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "subject_refs_pkey" PRIMARY KEY ("kind","value")
);

-- AlterTable
ALTER TABLE "parties" ADD COLUMN     "subject_id" TEXT;
ALTER TABLE "cases" ADD COLUMN     "subject_id" TEXT;
ALTER TABLE "registrations" ADD COLUMN     "subject_id" TEXT;
ALTER TABLE "user_accounts" ADD COLUMN     "subject_id" TEXT;
ALTER TABLE "registration_guardians" ADD COLUMN     "subject_id" TEXT;
ALTER TABLE "attachments" ADD COLUMN     "subject_id" TEXT;
ALTER TABLE "thread_messages" ADD COLUMN     "subject_id" TEXT;
ALTER TABLE "inbound_mail_quarantine" ADD COLUMN     "subject_id" TEXT;

-- Existing rows: one subject per registered account (its user ref), per distinct storefront customer reference of a case
-- or a stored customer contact, and per guardian record.
INSERT INTO "subject_refs" ("kind", "value", "subject_id", "created_at")
SELECT 'account', r."user_ref", 'sub_' || replace(gen_random_uuid()::text, '-', ''), r."created_at"
FROM "registrations" r;

INSERT INTO "subject_refs" ("kind", "value", "subject_id", "created_at")
SELECT 'storefront_customer', c."customer_id", 'sub_' || replace(gen_random_uuid()::text, '-', ''), min(c."created_at")
FROM "cases" c
WHERE NOT EXISTS (SELECT 1 FROM "subject_refs" x WHERE x."kind" = 'account' AND x."value" = c."customer_id")
GROUP BY c."customer_id";

INSERT INTO "subject_refs" ("kind", "value", "subject_id", "created_at")
SELECT 'storefront_customer', p."id", 'sub_' || replace(gen_random_uuid()::text, '-', ''), p."updated_at"
FROM "parties" p
WHERE p."kind" = 'customer' AND NOT EXISTS (SELECT 1 FROM "subject_refs" x WHERE x."kind" IN ('account', 'storefront_customer') AND x."value" = p."id");

INSERT INTO "subject_refs" ("kind", "value", "subject_id", "created_at")
SELECT 'guardian', g."id", 'sub_' || replace(gen_random_uuid()::text, '-', ''), g."created_at"
FROM "registration_guardians" g;

INSERT INTO "subjects" ("id", "kind", "status", "created_at")
SELECT x."subject_id", CASE WHEN x."kind" = 'guardian' THEN 'guardian' ELSE 'customer' END, 'active', x."created_at"
FROM "subject_refs" x;

-- Fill the new columns: an account's user ref first, then a storefront's customer reference.
UPDATE "cases" c SET "subject_id" = x."subject_id" FROM "subject_refs" x WHERE x."kind" = 'account' AND x."value" = c."customer_id";
UPDATE "cases" c SET "subject_id" = x."subject_id" FROM "subject_refs" x WHERE c."subject_id" IS NULL AND x."kind" = 'storefront_customer' AND x."value" = c."customer_id";
UPDATE "parties" p SET "subject_id" = x."subject_id" FROM "subject_refs" x WHERE p."kind" = 'customer' AND x."kind" = 'account' AND x."value" = p."id";
UPDATE "parties" p SET "subject_id" = x."subject_id" FROM "subject_refs" x WHERE p."kind" = 'customer' AND p."subject_id" IS NULL AND x."kind" = 'storefront_customer' AND x."value" = p."id";
UPDATE "registrations" r SET "subject_id" = x."subject_id" FROM "subject_refs" x WHERE x."kind" = 'account' AND x."value" = r."user_ref";
UPDATE "user_accounts" a SET "subject_id" = r."subject_id" FROM "registrations" r WHERE r."id" = a."registration_id";
UPDATE "registration_guardians" g SET "subject_id" = x."subject_id" FROM "subject_refs" x WHERE x."kind" = 'guardian' AND x."value" = g."id";
-- The customer's words and files: written through the storefront, or by e-mail as the case's customer.
UPDATE "thread_messages" m SET "subject_id" = c."subject_id" FROM "cases" c WHERE c."id" = m."case_id" AND m."party" = 'customer';
UPDATE "attachments" a SET "subject_id" = c."subject_id" FROM "cases" c
WHERE c."id" = a."case_id" AND (a."uploader_role" = 'storefront' OR (a."uploader_role" = 'email' AND a."uploaded_by" = c."customer_id"));
UPDATE "inbound_mail_quarantine" q SET "subject_id" = c."subject_id" FROM "cases" c WHERE c."id" = q."case_id" AND q."party" = 'customer';

-- A registration and an account always have their subject from now on (the opening service and the approval write it).
ALTER TABLE "registrations" ALTER COLUMN "subject_id" SET NOT NULL;
ALTER TABLE "user_accounts" ALTER COLUMN "subject_id" SET NOT NULL;

-- CreateIndex
CREATE INDEX "subject_refs_subject_id_idx" ON "subject_refs"("subject_id");
CREATE INDEX "parties_subject_id_idx" ON "parties"("subject_id");
CREATE INDEX "cases_subject_id_idx" ON "cases"("subject_id");
CREATE INDEX "registrations_subject_id_idx" ON "registrations"("subject_id");
CREATE INDEX "user_accounts_subject_id_idx" ON "user_accounts"("subject_id");
CREATE INDEX "registration_guardians_subject_id_idx" ON "registration_guardians"("subject_id");
CREATE INDEX "attachments_subject_id_idx" ON "attachments"("subject_id");
CREATE INDEX "thread_messages_subject_id_idx" ON "thread_messages"("subject_id");
CREATE INDEX "inbound_mail_quarantine_subject_id_idx" ON "inbound_mail_quarantine"("subject_id");

-- AddForeignKey
ALTER TABLE "subject_refs" ADD CONSTRAINT "subject_refs_subject_id_fkey" FOREIGN KEY ("subject_id") REFERENCES "subjects"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "parties" ADD CONSTRAINT "parties_subject_id_fkey" FOREIGN KEY ("subject_id") REFERENCES "subjects"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "cases" ADD CONSTRAINT "cases_subject_id_fkey" FOREIGN KEY ("subject_id") REFERENCES "subjects"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "registrations" ADD CONSTRAINT "registrations_subject_id_fkey" FOREIGN KEY ("subject_id") REFERENCES "subjects"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "user_accounts" ADD CONSTRAINT "user_accounts_subject_id_fkey" FOREIGN KEY ("subject_id") REFERENCES "subjects"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "registration_guardians" ADD CONSTRAINT "registration_guardians_subject_id_fkey" FOREIGN KEY ("subject_id") REFERENCES "subjects"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "attachments" ADD CONSTRAINT "attachments_subject_id_fkey" FOREIGN KEY ("subject_id") REFERENCES "subjects"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "thread_messages" ADD CONSTRAINT "thread_messages_subject_id_fkey" FOREIGN KEY ("subject_id") REFERENCES "subjects"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "inbound_mail_quarantine" ADD CONSTRAINT "inbound_mail_quarantine_subject_id_fkey" FOREIGN KEY ("subject_id") REFERENCES "subjects"("id") ON DELETE SET NULL ON UPDATE CASCADE;
