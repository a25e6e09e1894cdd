-- Complaints (policy 8.2): the complaint's own row. The description stays here, never in Temporal.
CREATE TABLE "complaints" (
    "case_id" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "order_id" TEXT,
    "description" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "complaints_pkey" PRIMARY KEY ("case_id")
);
