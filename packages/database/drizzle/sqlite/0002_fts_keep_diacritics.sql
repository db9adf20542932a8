-- Search the same words as PostgreSQL's 'simple' configuration: keep diacritics (café ≠ cafe),
-- as to_tsvector('simple', …) does. Rebuilds the index from the messages table.
DROP TABLE `messages_fts`;
--> statement-breakpoint
CREATE VIRTUAL TABLE `messages_fts` USING fts5(content, content='messages', content_rowid='rowid', tokenize='unicode61 remove_diacritics 0');
--> statement-breakpoint
INSERT INTO `messages_fts`(`messages_fts`) VALUES ('rebuild');
