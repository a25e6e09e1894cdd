-- Warranty repair (policy 7.1, 7.3): repair details per case. The description text stays here, never in Temporal.
-- CreateTable
CREATE TABLE "repair_requests" (
    "case_id" TEXT NOT NULL,
    "order_id" TEXT NOT NULL,
    "line_item_id" TEXT NOT NULL,
    "product_ref" TEXT NOT NULL,
    "problem_category" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "warranty_months" INTEGER NOT NULL,
    "delivered_at" TIMESTAMP(3) NOT NULL,
    "requested_at" TIMESTAMP(3) NOT NULL,
    "warranty_ends_at" TIMESTAMP(3) NOT NULL,
    "in_warranty" BOOLEAN NOT NULL,
    "quote_amount_minor" INTEGER,
    "quote_currency" TEXT,
    "quote_decision" TEXT,
    "hand_over_method" TEXT,
    "hand_over_carrier" TEXT,
    "hand_over_reference" TEXT,
    "received_at" TIMESTAMP(3),
    "result" TEXT,
    "remedy" TEXT,
    "remedy_decision" TEXT,
    "return_carrier" TEXT,
    "return_tracking" TEXT,
    "rating" INTEGER,
    "feedback" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "repair_requests_pkey" PRIMARY KEY ("case_id")
);

-- CreateIndex
CREATE INDEX "repair_requests_requested_at_idx" ON "repair_requests"("requested_at");

