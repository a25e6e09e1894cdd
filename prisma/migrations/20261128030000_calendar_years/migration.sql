-- Holiday data imported from State Council notices (scripts/calendar import FILE): one row per version of a year,
-- the version being the year and a hash of its data. The latest import of a year is in force, over the data the
-- chinese-days package carries. Importing the same data again finds its version (only its imported_at moves, when
-- an older version is imported again and so comes back into force).
CREATE TABLE "calendar_years" (
    "version" TEXT NOT NULL,
    "year" INTEGER NOT NULL,
    "holidays" TEXT[],
    "make_up_workdays" TEXT[],
    "source" TEXT NOT NULL,
    "imported_by" TEXT,
    "imported_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "calendar_years_pkey" PRIMARY KEY ("version")
);

CREATE INDEX "calendar_years_year_imported_at_idx" ON "calendar_years"("year", "imported_at");
