-- Three-guarantee rules art. 11 (部分商品修理更换退货责任规定): two repairs in warranty, of any fault, by any authorised
-- repairer. The records of other repairers the customer attaches as evidence, counted once an agent confirms them.
-- CreateTable
CREATE TABLE "repair_external_records" (
    "id" TEXT NOT NULL,
    "item_id" TEXT NOT NULL,
    "case_id" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "repairer_kind" TEXT NOT NULL,
    "repairer_ref" TEXT NOT NULL,
    "repaired_on" DATE NOT NULL,
    "evidence_ids" JSONB NOT NULL DEFAULT '[]',
    "status" TEXT NOT NULL DEFAULT 'pending',
    "reason_code" TEXT,
    "reviewed_by" TEXT,
    "reviewed_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "repair_external_records_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "repair_external_records_item_id_idx" ON "repair_external_records"("item_id");

-- CreateIndex
CREATE UNIQUE INDEX "repair_external_records_case_id_seq_key" ON "repair_external_records"("case_id", "seq");
