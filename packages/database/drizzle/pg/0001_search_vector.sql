ALTER TABLE "messages" drop column "search_vector";--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "search_vector" "tsvector" GENERATED ALWAYS AS (to_tsvector('simple', translate(left(coalesce("content", ''), 100000), '!"#$%&''()*+,-./:;<=>?@[\]^_`{|}~', '                                '))) STORED;--> statement-breakpoint
-- Dropping the column dropped its GIN index; drizzle-kit does not re-create it.
CREATE INDEX "messages_search_idx" ON "messages" USING gin ("search_vector");
