-- Warranty repair under the three-guarantee rules (部分商品修理更换退货责任规定) and 消法 art. 24:
-- the item's identity (serial number or IMEI, here only), its repair history per item, and the case's new facts.
-- CreateTable
CREATE TABLE "repair_items" (
    "id" TEXT NOT NULL,
    "product_ref" TEXT NOT NULL,
    "identifier_kind" TEXT NOT NULL,
    "identifier" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "repair_items_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "repair_items_product_ref_identifier_kind_identifier_key" ON "repair_items"("product_ref", "identifier_kind", "identifier");

-- CreateTable
CREATE TABLE "repair_item_history" (
    "id" TEXT NOT NULL,
    "item_id" TEXT,
    "case_id" TEXT NOT NULL,
    "event_key" TEXT NOT NULL,
    "problem_category" TEXT NOT NULL,
    "fault_code" TEXT NOT NULL,
    "result" TEXT NOT NULL,
    "parts_used" JSONB NOT NULL DEFAULT '[]',
    "evidence_refs" JSONB NOT NULL DEFAULT '[]',
    "technician_id" TEXT NOT NULL,
    "in_warranty" BOOLEAN NOT NULL,
    "arrived_at" TIMESTAMP(3),
    "completed_at" TIMESTAMP(3) NOT NULL,
    "notes" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "repair_item_history_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "repair_item_history_event_key_key" ON "repair_item_history"("event_key");

-- CreateIndex
CREATE INDEX "repair_item_history_item_id_problem_category_idx" ON "repair_item_history"("item_id", "problem_category");

-- CreateIndex
CREATE INDEX "repair_item_history_case_id_idx" ON "repair_item_history"("case_id");

-- AddForeignKey
ALTER TABLE "repair_item_history" ADD CONSTRAINT "repair_item_history_item_id_fkey" FOREIGN KEY ("item_id") REFERENCES "repair_items"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AlterTable
ALTER TABLE "repair_requests" ADD COLUMN "item_id" TEXT,
ADD COLUMN "paid_amount_minor" INTEGER,
ADD COLUMN "paid_currency" TEXT,
ADD COLUMN "entitlement" TEXT,
ADD COLUMN "remedy_choice" TEXT,
ADD COLUMN "arrival_source" TEXT,
ADD COLUMN "fault_code" TEXT,
ADD COLUMN "damage_dispute" TEXT,
ADD COLUMN "dispute_text" TEXT;
