-- Case threads: messages between the parties of a case, their words kept here only.
CREATE TABLE "thread_messages" (
    "id" TEXT NOT NULL,
    "case_id" TEXT NOT NULL,
    "party" TEXT NOT NULL,
    "author_id" TEXT NOT NULL,
    "author_role" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "attachment_ids" TEXT[],
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "thread_messages_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "thread_messages_case_id_created_at_id_idx" ON "thread_messages"("case_id", "created_at", "id");

ALTER TABLE "thread_messages" ADD CONSTRAINT "thread_messages_case_id_fkey" FOREIGN KEY ("case_id") REFERENCES "cases"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
