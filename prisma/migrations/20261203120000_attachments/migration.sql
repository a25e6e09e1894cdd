-- Evidence attachments: one row per distinct file of a case. The bytes are in the blob store under their SHA-256.
CREATE TABLE "attachments" (
    "id" TEXT NOT NULL,
    "case_id" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "size_bytes" INTEGER NOT NULL,
    "content_type" TEXT NOT NULL,
    "filename" TEXT,
    "uploaded_by" TEXT NOT NULL,
    "uploader_role" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "attachments_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "attachments_case_id_sha256_key" ON "attachments"("case_id", "sha256");
CREATE INDEX "attachments_case_id_created_at_idx" ON "attachments"("case_id", "created_at");

ALTER TABLE "attachments" ADD CONSTRAINT "attachments_case_id_fkey" FOREIGN KEY ("case_id") REFERENCES "cases"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
