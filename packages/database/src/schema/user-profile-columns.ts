import { col, type ColumnSpec } from './columns.js';

/**
 * The profile columns of omega-bot's `user_profiles` (its "PhD-level" profile: psychology,
 * phenotype, tracking), in the order of its `CREATE TABLE`, identity (`id`, `user_id`,
 * `username`) and bookkeeping (`created_at`, `updated_at`, `version`) left out. Types as its
 * schema declares them: INTEGER scores → `int`, REAL → `real`, TEXT holding a JSON array or object
 * (its record interface says "JSON array"; the `*_json`, `*_facets` and photo-metadata columns)
 * → `json` (jsonb on PostgreSQL), unix-second INTEGERs → `timestamp`.
 */
const text = (...names: string[]) => names.map((n) => col.text(n));
const int = (...names: string[]) => names.map((n) => col.int(n));
const real = (...names: string[]) => names.map((n) => col.real(n));
const json = (...names: string[]) => names.map((n) => col.json(n));

const psychology: ColumnSpec[] = [
  // Jungian analysis
  col.text('dominant_archetype'),
  col.json('secondary_archetypes'),
  col.real('archetype_confidence'),
  col.text('shadow_archetype'),
  // Big Five (OCEAN)
  ...int('openness_score', 'conscientiousness_score', 'extraversion_score', 'agreeableness_score', 'neuroticism_score'),
  // Attachment
  col.text('attachment_style'),
  col.real('attachment_confidence'),
  // Emotional intelligence
  ...int('emotional_awareness_score', 'empathy_score', 'emotional_regulation_score'),
  // Communication
  ...text('communication_formality', 'communication_assertiveness', 'communication_engagement'),
  col.int('verbal_fluency_score'),
  col.real('question_asking_frequency'),
  // Cognitive style
  ...int('analytical_thinking_score', 'creative_thinking_score', 'abstract_reasoning_score', 'concrete_thinking_score'),
  // Social dynamics
  ...int('social_dominance_score', 'cooperation_score'),
  ...text('conflict_style', 'humor_style'),
  // Behaviour
  ...real('message_length_avg', 'message_length_variance', 'response_latency_avg', 'emoji_usage_rate'),
  ...text('punctuation_style', 'capitalization_pattern'),
  // Interests
  col.text('technical_knowledge_level'),
  ...json('primary_interests', 'expertise_areas'),
  // Omega's feelings
  ...int('affinity_score', 'trust_level'),
  ...text('emotional_bond', 'omega_thoughts'),
  col.json('notable_patterns'),
  // Aggregated sentiment
  col.text('overall_sentiment'),
  ...real('positive_interaction_ratio', 'negative_interaction_ratio'),
  col.json('dominant_emotions'),
  // Legacy fields omega-bot keeps for backward compatibility
  ...json('feelings_json', 'personality_facets'),
];

const phenotype: ColumnSpec[] = [
  col.text('uploaded_photo_url'),
  col.json('uploaded_photo_metadata'),
  col.text('ai_appearance_description'),
  col.real('appearance_confidence', false, 0),
  col.text('ai_detected_gender'),
  col.real('gender_confidence'),
  col.text('estimated_age_range'),
  col.real('age_confidence'),
  col.text('face_shape'),
  col.int('facial_symmetry_score'),
  ...text('jawline_prominence', 'cheekbone_prominence'),
  ...text('hair_color', 'hair_texture', 'hair_length', 'hair_style', 'hair_density', 'facial_hair'),
  ...text('eye_color', 'eye_shape', 'eye_spacing', 'eyebrow_shape', 'eyebrow_thickness'),
  ...text('nose_shape', 'nose_size'),
  ...text('lip_fullness', 'smile_type'),
  ...text('skin_tone', 'skin_texture', 'complexion_quality'),
  ...text('body_type', 'build_description', 'height_estimate', 'posture'),
  col.json('distinctive_features'),
  col.text('clothing_style'),
  col.json('accessories'),
  col.text('attractiveness_assessment'),
  col.int('approachability_score'),
  ...text('perceived_confidence_level', 'aesthetic_archetype'),
];

const tracking: ColumnSpec[] = [
  col.timestamp('first_seen_at', true),
  col.timestamp('last_interaction_at', true),
  col.timestamp('last_analyzed_at'),
  col.timestamp('last_photo_analyzed_at'),
  col.int('message_count', false, 0),
];

/** Profile data columns, in omega-bot's table order (identity and bookkeeping excluded). */
export const userProfileDataColumns: readonly ColumnSpec[] = [...psychology, ...phenotype, ...tracking];

