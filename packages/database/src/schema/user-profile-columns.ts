import { col, type ColumnSpec } from './columns.js';

/**
 * The profile columns of `user_profiles` (the guide's "100+ column" profile), defined once.
 * Both dialect schemas, the codecs, `normalizeRow` and the transfer tools read this list.
 * Aggregates the bot maintains itself are marked in {@link botMaintainedProfileColumns}.
 */
const hours = Array.from({ length: 24 }, (_, h) => col.int(`activity_hour_${String(h).padStart(2, '0')}`, true, 0));
const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => col.int(`activity_${d}`, true, 0));

const bigFive = ['openness', 'conscientiousness', 'extraversion', 'agreeableness', 'neuroticism'].map((t) =>
  col.real(`trait_${t}`),
);
const traitConfidence = ['openness', 'conscientiousness', 'extraversion', 'agreeableness', 'neuroticism'].map((t) =>
  col.real(`trait_${t}_confidence`),
);
const sentiment = [
  col.real('sentiment_avg'),
  col.real('sentiment_positive_ratio'),
  col.real('sentiment_negative_ratio'),
  col.real('sentiment_neutral_ratio'),
  col.real('sentiment_volatility'),
  col.text('sentiment_trend'),
];
const emotions = ['joy', 'sadness', 'anger', 'fear', 'surprise', 'disgust', 'trust', 'anticipation'].map((e) =>
  col.real(`emotion_${e}`),
);
const style = [
  col.real('style_formality'),
  col.real('style_verbosity'),
  col.real('style_humor'),
  col.real('style_politeness'),
  col.real('style_directness'),
  col.real('style_emoji_rate'),
  col.real('style_question_rate'),
  col.real('style_exclamation_rate'),
  col.real('style_caps_rate'),
  col.real('style_link_rate'),
  col.real('style_code_rate'),
  col.real('style_avg_word_length'),
  col.real('style_vocabulary_richness'),
  col.text('style_preferred_language'),
  col.text('style_summary'),
];
const cognition = [
  col.real('cognitive_analytical'),
  col.real('cognitive_creative'),
  col.real('cognitive_practical'),
  col.real('cognitive_abstract'),
  col.real('cognitive_curiosity'),
  col.real('cognitive_complexity'),
  col.text('learning_style'),
  col.text('decision_style'),
  col.text('problem_solving_style'),
];
const social = [
  col.real('social_engagement'),
  col.real('social_helpfulness'),
  col.real('social_leadership'),
  col.real('social_conflict_rate'),
  col.int('social_mentions_given', true, 0),
  col.int('social_mentions_received', true, 0),
  col.int('social_replies_given', true, 0),
  col.int('social_replies_received', true, 0),
  col.json('social_frequent_contacts', false, []),
];
const interests = [
  col.json('interests', false, []),
  col.json('topics', false, []),
  col.json('expertise_areas', false, []),
  col.json('favorite_commands', false, []),
  col.json('keywords', false, []),
  col.json('languages_used', false, []),
  col.json('channels_active', false, []),
];
const activity = [
  col.int('message_count', true, 0),
  col.int('command_count', true, 0),
  col.int('search_count', true, 0),
  col.int('document_count', true, 0),
  col.int('word_count', true, 0),
  col.int('character_count', true, 0),
  col.real('avg_message_length'),
  col.real('avg_response_time_s'),
  col.int('longest_streak_days', true, 0),
  col.int('current_streak_days', true, 0),
  col.int('active_days', true, 0),
  col.timestamp('first_seen_at', false),
  col.timestamp('last_seen_at', false),
  col.timestamp('last_message_at', false),
  col.text('timezone_guess'),
  col.int('peak_hour'),
  col.text('peak_weekday'),
];
const analysis = [
  col.text('personality_summary'),
  col.text('mbti_guess'),
  col.text('enneagram_guess'),
  col.text('political_leaning'),
  col.real('analysis_confidence'),
  col.int('analysis_count', true, 0),
  col.timestamp('last_analyzed_at', false),
  col.text('analysis_model'),
  col.bool('opted_out', true, false),
  col.bool('is_bot', true, false),
  col.bool('is_moderator', true, false),
  col.json('notes', false, {}),
  col.json('preferences', false, {}),
  col.json('metadata', false, {}),
];

/** Profile data columns, in table order (identity and row-meta columns excluded). */
export const userProfileDataColumns: readonly ColumnSpec[] = [
  ...hours,
  ...weekdays,
  ...bigFive,
  ...traitConfidence,
  ...sentiment,
  ...emotions,
  ...style,
  ...cognition,
  ...social,
  ...interests,
  ...activity,
  ...analysis,
];

/** Columns the bot updates on every message (the "profile aggregates"). */
export const botMaintainedProfileColumns = [
  'message_count',
  'command_count',
  'search_count',
  'document_count',
  'word_count',
  'character_count',
  'avg_message_length',
  'first_seen_at',
  'last_seen_at',
  'last_message_at',
  'channels_active',
] as const;
