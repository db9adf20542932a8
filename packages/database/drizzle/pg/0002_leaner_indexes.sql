-- Leaner secondary indexes (docs/design.md, "Indexes"). omega-bot's single-column btrees that are the leading column of
-- a longer index of the same table are not carried on PostgreSQL where the longer index serves their queries as well
-- (LibSQL keeps them, omega-bot's layout); messages' channel_id and user_id btrees stay, for search's bitmap plans. messages_metadata_idx is rebuilt with jsonb_path_ops: the only query on metadata is `@>`.
-- The rebuild holds an ACCESS EXCLUSIVE lock on messages for the migration's transaction (docs/migration-guide.md).
DROP INDEX IF EXISTS "idx_queries_user_id";--> statement-breakpoint
DROP INDEX IF EXISTS "idx_collaborators_document_id";--> statement-breakpoint
DROP INDEX IF EXISTS "idx_user_profiles_user_id";--> statement-breakpoint
DO $$ BEGIN
  -- A bulk load killed before this migration recorded the dropped indexes to build them again (migrate does, after
  -- migrating): forget the three, and the old metadata index (built below).
  IF to_regclass('public.transfer_deferred_indexes') IS NOT NULL THEN
    DELETE FROM "transfer_deferred_indexes" WHERE "index_name" IN ('idx_queries_user_id', 'idx_collaborators_document_id', 'idx_user_profiles_user_id', 'messages_metadata_idx');
  END IF;
END $$;--> statement-breakpoint
DROP INDEX IF EXISTS "messages_metadata_idx";--> statement-breakpoint
CREATE INDEX "messages_metadata_idx" ON "messages" USING gin ("metadata" jsonb_path_ops);
