-- API keys of their own (security: an optional expiry, rotation with an overlap, the last use), and the audit events
-- of principals and keys (every create, rotation and revocation, with who did it). The key of each existing principal
-- becomes its first key.
CREATE TABLE "api_keys" (
    "id" TEXT NOT NULL,
    "principal_id" TEXT NOT NULL,
    "key_hash" TEXT NOT NULL,
    "key_prefix" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL,
    "expires_at" TIMESTAMP(3),
    "revoked_at" TIMESTAMP(3),
    "last_used_at" TIMESTAMP(3),
    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "api_keys_key_hash_key" ON "api_keys"("key_hash");
CREATE INDEX "api_keys_principal_id_idx" ON "api_keys"("principal_id");
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_principal_id_fkey" FOREIGN KEY ("principal_id") REFERENCES "principals"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

INSERT INTO "api_keys" ("id", "principal_id", "key_hash", "key_prefix", "created_at", "revoked_at")
SELECT 'key_' || substr(md5("id"), 1, 24), "id", "key_hash", "key_prefix", "created_at", "revoked_at" FROM "principals";

CREATE TABLE "principal_events" (
    "id" BIGSERIAL NOT NULL,
    "principal_id" TEXT NOT NULL,
    "key_id" TEXT,
    "type" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "detail" JSONB NOT NULL DEFAULT '{}',
    CONSTRAINT "principal_events_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "principal_events_principal_id_at_idx" ON "principal_events"("principal_id", "at");

DROP INDEX "principals_key_hash_key";
ALTER TABLE "principals" DROP COLUMN "key_hash", DROP COLUMN "key_prefix";
