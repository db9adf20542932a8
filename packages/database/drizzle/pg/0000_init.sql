CREATE TABLE "document_collaborators" (
	"id" text PRIMARY KEY NOT NULL,
	"document_id" text NOT NULL,
	"user_id" text NOT NULL,
	"username" text,
	"role" text,
	"joined_at" bigint,
	"updated_at" bigint,
	"version" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "documents" (
	"id" text PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"content" text NOT NULL,
	"created_by" text NOT NULL,
	"created_by_username" text,
	"created_at" bigint,
	"updated_at" bigint,
	"is_public" boolean,
	"metadata" jsonb,
	"version" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"id" text PRIMARY KEY NOT NULL,
	"timestamp" bigint NOT NULL,
	"sender_type" text NOT NULL,
	"user_id" text,
	"username" text,
	"channel_id" text,
	"channel_name" text,
	"guild_id" text,
	"message_content" text NOT NULL,
	"tool_name" text,
	"tool_args" jsonb,
	"tool_result" jsonb,
	"session_id" text,
	"parent_message_id" text,
	"metadata" jsonb,
	"ai_summary" text,
	"sentiment_analysis" jsonb,
	"response_decision" jsonb,
	"interaction_type" text,
	"user_intent" text,
	"bot_perception" text,
	"conversation_quality" text,
	"created_at" bigint,
	"updated_at" bigint,
	"version" integer DEFAULT 1 NOT NULL,
	"search_vector" "tsvector" GENERATED ALWAYS AS (to_tsvector('simple', translate(left(coalesce("message_content", ''), 100000) || ' ' || coalesce("tool_name", '') || ' ' || coalesce("username", ''), '!"#$%&''()*+,-./:;<=>?@[\]^_`{|}~', '                                '))) STORED,
	CONSTRAINT "messages_sender_type_check" CHECK ("sender_type" IN ('human', 'ai', 'tool'))
);
--> statement-breakpoint
CREATE TABLE "queries" (
	"id" text PRIMARY KEY NOT NULL,
	"timestamp" bigint NOT NULL,
	"user_id" text NOT NULL,
	"username" text NOT NULL,
	"query_text" text NOT NULL,
	"translated_sql" text,
	"ai_summary" text,
	"query_result" jsonb,
	"result_count" integer,
	"error" text,
	"execution_time_ms" integer,
	"sentiment_analysis" jsonb,
	"query_complexity" text,
	"user_satisfaction" text,
	"created_at" bigint,
	"updated_at" bigint,
	"version" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "row_tombstones" (
	"table_name" text NOT NULL,
	"id" text NOT NULL,
	"version" integer NOT NULL,
	"deleted_at" bigint NOT NULL,
	CONSTRAINT "row_tombstones_table_name_id_pk" PRIMARY KEY("table_name","id")
);
--> statement-breakpoint
CREATE TABLE "user_analysis_history" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"analysis_timestamp" bigint NOT NULL,
	"feelings_snapshot" jsonb,
	"personality_snapshot" jsonb,
	"message_count_at_analysis" integer,
	"changes_summary" text,
	"created_at" bigint,
	"updated_at" bigint,
	"version" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "user_profiles" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"username" text NOT NULL,
	"dominant_archetype" text,
	"secondary_archetypes" jsonb,
	"archetype_confidence" double precision,
	"shadow_archetype" text,
	"openness_score" integer,
	"conscientiousness_score" integer,
	"extraversion_score" integer,
	"agreeableness_score" integer,
	"neuroticism_score" integer,
	"attachment_style" text,
	"attachment_confidence" double precision,
	"emotional_awareness_score" integer,
	"empathy_score" integer,
	"emotional_regulation_score" integer,
	"communication_formality" text,
	"communication_assertiveness" text,
	"communication_engagement" text,
	"verbal_fluency_score" integer,
	"question_asking_frequency" double precision,
	"analytical_thinking_score" integer,
	"creative_thinking_score" integer,
	"abstract_reasoning_score" integer,
	"concrete_thinking_score" integer,
	"social_dominance_score" integer,
	"cooperation_score" integer,
	"conflict_style" text,
	"humor_style" text,
	"message_length_avg" double precision,
	"message_length_variance" double precision,
	"response_latency_avg" double precision,
	"emoji_usage_rate" double precision,
	"punctuation_style" text,
	"capitalization_pattern" text,
	"technical_knowledge_level" text,
	"primary_interests" jsonb,
	"expertise_areas" jsonb,
	"affinity_score" integer,
	"trust_level" integer,
	"emotional_bond" text,
	"omega_thoughts" text,
	"notable_patterns" jsonb,
	"overall_sentiment" text,
	"positive_interaction_ratio" double precision,
	"negative_interaction_ratio" double precision,
	"dominant_emotions" jsonb,
	"feelings_json" jsonb,
	"personality_facets" jsonb,
	"uploaded_photo_url" text,
	"uploaded_photo_metadata" jsonb,
	"ai_appearance_description" text,
	"appearance_confidence" double precision,
	"ai_detected_gender" text,
	"gender_confidence" double precision,
	"estimated_age_range" text,
	"age_confidence" double precision,
	"face_shape" text,
	"facial_symmetry_score" integer,
	"jawline_prominence" text,
	"cheekbone_prominence" text,
	"hair_color" text,
	"hair_texture" text,
	"hair_length" text,
	"hair_style" text,
	"hair_density" text,
	"facial_hair" text,
	"eye_color" text,
	"eye_shape" text,
	"eye_spacing" text,
	"eyebrow_shape" text,
	"eyebrow_thickness" text,
	"nose_shape" text,
	"nose_size" text,
	"lip_fullness" text,
	"smile_type" text,
	"skin_tone" text,
	"skin_texture" text,
	"complexion_quality" text,
	"body_type" text,
	"build_description" text,
	"height_estimate" text,
	"posture" text,
	"distinctive_features" jsonb,
	"clothing_style" text,
	"accessories" jsonb,
	"attractiveness_assessment" text,
	"approachability_score" integer,
	"perceived_confidence_level" text,
	"aesthetic_archetype" text,
	"first_seen_at" bigint NOT NULL,
	"last_interaction_at" bigint NOT NULL,
	"last_analyzed_at" bigint,
	"last_photo_analyzed_at" bigint,
	"message_count" integer,
	"created_at" bigint,
	"updated_at" bigint,
	"version" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "user_profiles_user_id_key" UNIQUE("user_id")
);
--> statement-breakpoint
ALTER TABLE "document_collaborators" ADD CONSTRAINT "document_collaborators_document_id_fk" FOREIGN KEY ("document_id") REFERENCES "public"."documents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_analysis_history" ADD CONSTRAINT "user_analysis_history_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."user_profiles"("user_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "idx_collaborators_document_id" ON "document_collaborators" USING btree ("document_id");--> statement-breakpoint
CREATE INDEX "idx_collaborators_user_id" ON "document_collaborators" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "idx_collaborators_unique" ON "document_collaborators" USING btree ("document_id","user_id");--> statement-breakpoint
CREATE INDEX "idx_documents_created_by" ON "documents" USING btree ("created_by");--> statement-breakpoint
CREATE INDEX "idx_documents_created_at" ON "documents" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "idx_documents_updated_at" ON "documents" USING btree ("updated_at");--> statement-breakpoint
CREATE INDEX "idx_messages_timestamp" ON "messages" USING btree ("timestamp");--> statement-breakpoint
CREATE INDEX "idx_messages_user_id" ON "messages" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "idx_messages_sender_type" ON "messages" USING btree ("sender_type");--> statement-breakpoint
CREATE INDEX "idx_messages_channel_id" ON "messages" USING btree ("channel_id");--> statement-breakpoint
CREATE INDEX "idx_messages_session_id" ON "messages" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "messages_channel_ts_idx" ON "messages" USING btree ("channel_id","timestamp","id");--> statement-breakpoint
CREATE INDEX "messages_user_ts_idx" ON "messages" USING btree ("user_id","timestamp","id");--> statement-breakpoint
CREATE INDEX "messages_search_idx" ON "messages" USING gin ("search_vector");--> statement-breakpoint
CREATE INDEX "messages_metadata_idx" ON "messages" USING gin ("metadata");--> statement-breakpoint
CREATE INDEX "idx_queries_timestamp" ON "queries" USING btree ("timestamp");--> statement-breakpoint
CREATE INDEX "idx_queries_user_id" ON "queries" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "queries_user_ts_idx" ON "queries" USING btree ("user_id","timestamp","id");--> statement-breakpoint
CREATE INDEX "idx_analysis_history_user_id" ON "user_analysis_history" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "idx_analysis_history_timestamp" ON "user_analysis_history" USING btree ("analysis_timestamp");--> statement-breakpoint
CREATE INDEX "idx_user_profiles_user_id" ON "user_profiles" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "idx_user_profiles_last_analyzed" ON "user_profiles" USING btree ("last_analyzed_at");