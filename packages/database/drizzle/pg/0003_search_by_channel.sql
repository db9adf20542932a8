-- A channel's search in one GIN scan (docs/design.md, "Indexes"): messages_search_idx leads with channel_id (btree_gin),
-- so `channel_id = $1 AND search_vector @@ $2` skips through the terms' postings by the channel's instead of ANDing every
-- posting of the terms with a bitmap of the channel's rows. idx_messages_channel_id then serves nothing
-- messages_channel_ts_idx does not, and is not carried on PostgreSQL (LibSQL keeps it, omega-bot's layout).
-- btree_gin ships with PostgreSQL (contrib) and is a trusted extension since PostgreSQL 13: a role with CREATE on the
-- database may create it. The rebuild holds an ACCESS EXCLUSIVE lock on messages for the migration's transaction.
DO $$ BEGIN
  CREATE EXTENSION IF NOT EXISTS btree_gin;
EXCEPTION WHEN OTHERS THEN
  RAISE EXCEPTION 'migration 0003_search_by_channel needs the btree_gin extension: %', SQLERRM
    USING HINT = 'btree_gin ships with PostgreSQL (contrib) and is trusted since PostgreSQL 13: run CREATE EXTENSION btree_gin as the database owner or a superuser, then migrate again';
END $$;--> statement-breakpoint
DO $$ BEGIN
  -- A bulk load killed before this migration recorded the dropped indexes to build them again (migrate does, after
  -- migrating): forget the two, the new search index is built below.
  IF to_regclass('public.transfer_deferred_indexes') IS NOT NULL THEN
    DELETE FROM "transfer_deferred_indexes" WHERE "index_name" IN ('idx_messages_channel_id', 'messages_search_idx');
  END IF;
END $$;--> statement-breakpoint
DROP INDEX IF EXISTS "idx_messages_channel_id";--> statement-breakpoint
DROP INDEX IF EXISTS "messages_search_idx";--> statement-breakpoint
CREATE INDEX "messages_search_idx" ON "messages" USING gin ("channel_id","search_vector");
