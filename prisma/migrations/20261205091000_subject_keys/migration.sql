-- Each data subject has a data key (AES-256), stored only wrapped by the master key of the key-management port
-- (policy 1.3, 2.2.1, 6.3.1: personal fields encrypted at rest, lib/sealedFields.ts). Destroying it (crypto-shredding)
-- leaves the wrapped key null and the time it went: every sealed copy of the subject's data becomes unreadable.
CREATE TABLE "subject_keys" (
    "subject_id" TEXT NOT NULL,
    "wrapped_key" BYTEA,
    "master_key_id" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL,
    "destroyed_at" TIMESTAMP(3),
    CONSTRAINT "subject_keys_pkey" PRIMARY KEY ("subject_id")
);
