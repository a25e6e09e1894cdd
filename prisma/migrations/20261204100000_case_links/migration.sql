-- Links between cases: the return handed over to the complaint it opened, the complaint escalated from it, related cases.
CREATE TYPE "CaseLinkType" AS ENUM ('handed_over_to', 'related', 'escalated_from');

CREATE TABLE "case_links" (
    "id" TEXT NOT NULL,
    "from_case_id" TEXT NOT NULL,
    "to_case_id" TEXT NOT NULL,
    "type" "CaseLinkType" NOT NULL,
    "event_key" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "case_links_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "case_links_to_case_id_idx" ON "case_links"("to_case_id");

CREATE UNIQUE INDEX "case_links_from_case_id_to_case_id_type_key" ON "case_links"("from_case_id", "to_case_id", "type");

ALTER TABLE "case_links" ADD CONSTRAINT "case_links_from_case_id_fkey" FOREIGN KEY ("from_case_id") REFERENCES "cases"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

ALTER TABLE "case_links" ADD CONSTRAINT "case_links_to_case_id_fkey" FOREIGN KEY ("to_case_id") REFERENCES "cases"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
