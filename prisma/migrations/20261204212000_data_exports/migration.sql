-- A subject's personal-data export (PIPL arts. 45, 47): the signed archive's blob, delivered through a signed, expiring link.
CREATE TABLE "data_exports" (
    "id" TEXT NOT NULL,
    "subject_id" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "size_bytes" INTEGER NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "downloaded_at" TIMESTAMP(3),

    CONSTRAINT "data_exports_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "data_exports_subject_id_idx" ON "data_exports"("subject_id");

CREATE INDEX "data_exports_expires_at_idx" ON "data_exports"("expires_at");

ALTER TABLE "data_exports" ADD CONSTRAINT "data_exports_subject_id_fkey" FOREIGN KEY ("subject_id") REFERENCES "subjects"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
