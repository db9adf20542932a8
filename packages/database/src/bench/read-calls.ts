import type { MessageService } from '../services/message-service.js';
import type { UserProfileService } from '../services/user-profile-service.js';
import type { ReadScope } from './read-scope.js';

/** One measured call: a name for the report, the search text when it is a search, and the call itself. */
export interface ReadCall {
  readonly name: string;
  readonly searchText?: string;
  readonly offset?: number;
  /** Filter of the search besides the text: the channel (default) or the user. */
  readonly by?: 'channel' | 'user';
  run(s: { messages: MessageService; profiles: UserProfileService }): Promise<unknown>;
}

/**
 * The metadata containment call's filter: a model name the generator (generate-rows.ts) puts in
 * about a third of the bot's messages' metadata (`{ model, tokens }`), so common in the channel.
 */
export const METADATA_FILTER = { model: 'claude-3-haiku' } as const;

/** Rows per page, as omega-bot reads a channel's context. */
export const READ_LIMIT = 20;

/**
 * The calls of the read bench (issue 15 §2), through the services omega-bot uses: searches scoped
 * to the largest channel (one common word, two words, a rare word, a quoted phrase, no hit, a deep
 * page, the user's), the channel's and the user's recent messages, the channel's recent messages
 * whose metadata contains a common value (`metadataContains`), and a profile read.
 */
export function readCalls(scope: ReadScope): ReadCall[] {
  const search = (name: string, searchText: string, extra: { offset?: number; by?: 'channel' | 'user' } = {}): ReadCall => ({
    name,
    searchText,
    ...extra,
    run: ({ messages }) =>
      messages.queryMessages({
        ...(extra.by === 'user' ? { userId: scope.userId } : { channelId: scope.channelId }),
        searchText,
        limit: READ_LIMIT,
        offset: extra.offset,
      }),
  });
  return [
    search(`search, one common word (${scope.common})`, scope.common),
    search(`search, two words (${scope.twoWords})`, scope.twoWords),
    search(`search, a rare word (${scope.rare})`, scope.rare),
    search(`search, a quoted phrase (${scope.phrase})`, scope.phrase),
    search(`search, a word with no hit (${scope.noHit})`, scope.noHit),
    search(`search, one common word, offset 200`, scope.common, { offset: 200 }),
    search(`search, one common word, the user's messages`, scope.common, { by: 'user' }),
    { name: 'recent messages of the channel', run: ({ messages }) => messages.queryMessages({ channelId: scope.channelId, limit: READ_LIMIT }) },
    {
      name: `recent messages of the channel, metadata containing ${JSON.stringify(METADATA_FILTER)}`,
      run: ({ messages }) => messages.queryMessages({ channelId: scope.channelId, metadataContains: METADATA_FILTER, limit: READ_LIMIT }),
    },
    { name: 'recent messages of the user', run: ({ messages }) => messages.queryMessages({ userId: scope.userId, limit: READ_LIMIT }) },
    { name: 'profile read (getUserProfile)', run: ({ profiles }) => profiles.getUserProfile(scope.profileUserId) },
  ];
}
