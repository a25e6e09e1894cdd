-- The order snapshot of a returned line, as the storefront recorded it at purchase: references, enums and
-- amounts only. The refund reads the amount actually paid and the payment reference from it.
CREATE TABLE "return_order_snapshots" (
    "case_id" TEXT NOT NULL,
    "order_id" TEXT NOT NULL,
    "line_item_id" TEXT NOT NULL,
    "amount_minor" INTEGER NOT NULL,
    "discount_minor" INTEGER NOT NULL DEFAULT 0,
    "points_count" INTEGER,
    "points_value_minor" INTEGER,
    "gift_value_minor" INTEGER,
    "payment_ref" TEXT,
    "payment_method" TEXT,
    "original_route_open" BOOLEAN,
    "exclusion_confirmed_at_purchase" BOOLEAN NOT NULL DEFAULT false,
    "digital_unsealed" BOOLEAN NOT NULL DEFAULT false,
    "warranty_months" INTEGER,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "return_order_snapshots_pkey" PRIMARY KEY ("case_id"),
    CONSTRAINT "return_order_snapshots_case_id_fkey" FOREIGN KEY ("case_id") REFERENCES "cases"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- The route a refund took (original payment or platform balance) and the payment it went back to.
ALTER TABLE "payments" ADD COLUMN "route" TEXT;
ALTER TABLE "payments" ADD COLUMN "payment_ref" TEXT;
