import { isDatabaseError, type DocumentRecord } from '@repo/database';
import { plural, snippet } from './format.js';
import { insertOnce, rowIdOf } from './row-ids.js';
import { failed, ok, type CommandContext, type CommandResult } from './types.js';

/** Usage text of `!doc`. */
export const DOC_USAGE = [
  'Usage:',
  '!doc new [--private] <title> | <content>',
  '!doc show <id>',
  '!doc edit <id> <content>',
  '!doc title <id> <new title>',
  '!doc share <id> <userId> [viewer|editor]',
  '!doc unshare <id> <userId>',
  '!doc delete <id>',
  '!doc list',
].join('\n');

/** How many documents `!doc list` shows. */
export const DOC_LIST_LIMIT = 10;

/** Collaborator roles `!doc share` grants (omega-bot's creator row has role `owner`). */
const SHARE_ROLES = new Set(['viewer', 'editor']);

/**
 * What the asker may do with a document, from `documentService.hasDocumentAccess` (public, the
 * creator, or a collaborator) and their collaborator row:
 * - `read` (`!doc show`): any access;
 * - `write` (`!doc edit`, `!doc title`): the creator, or a collaborator with role `owner` or `editor`;
 * - `manage` (`!doc share`, `!doc unshare` of someone else, `!doc delete`): the creator or an `owner`.
 * A public document is readable by everyone but writable only as above.
 */
interface Access {
  readonly doc: DocumentRecord;
  readonly role: string | null;
  readonly write: boolean;
  readonly manage: boolean;
}

/**
 * `!doc new|show|edit|title|share|unshare|delete|list` over `documentService`. A document the asker
 * may not read answers as not found (its existence is not revealed); a step they may not take
 * answers `FORBIDDEN`. Errors of the service that concern the input (`NOT_FOUND`, `INVALID_INPUT`)
 * become replies; other errors (a backend failure) propagate.
 */
export async function docCommand(ctx: CommandContext, args: string): Promise<CommandResult> {
  const [, sub = '', rest = ''] = /^(\S*)\s*([\s\S]*)$/.exec(args) ?? [];
  const words = rest.split(/\s+/).filter(Boolean);
  const [, firstWord = '', tail = ''] = /^(\S*)\s*([\s\S]*)$/.exec(rest) ?? [];
  let documentId: string | undefined;
  try {
    switch (sub.toLowerCase()) {
      case 'new':
        return await newDoc(ctx, rest);
      case 'show':
        documentId = words[0];
        return await showDoc(ctx, words[0] ?? '', words.length - 1);
      case 'edit':
        documentId = firstWord;
        return await editDoc(ctx, firstWord, tail.trim());
      case 'title':
        documentId = firstWord;
        return await retitleDoc(ctx, firstWord, tail.trim());
      case 'share': {
        const [id = '', target = '', role = 'viewer', ...extra] = words;
        documentId = id;
        return await shareDoc(ctx, id, target, role.toLowerCase(), extra.length);
      }
      case 'unshare': {
        const [id = '', target = '', ...extra] = words;
        documentId = id;
        return await unshareDoc(ctx, id, target, extra.length);
      }
      case 'delete':
        documentId = words[0];
        return await deleteDoc(ctx, words[0] ?? '', words.length - 1);
      case 'list':
        return await listDocs(ctx);
      default:
        return failed(DOC_USAGE, 'USAGE', `unknown !doc subcommand ${JSON.stringify(sub)}`);
    }
  } catch (e) {
    return documentErrorReply(e, documentId);
  }
}

/** The asker's access to document `id`, or null when they may not read it (or it does not exist). */
async function accessOf(ctx: CommandContext, id: string): Promise<Access | null> {
  const docs = ctx.db.documentService;
  if (!(await docs.hasDocumentAccess(id, ctx.userId))) return null;
  const doc = await docs.getDocument(id);
  if (!doc) return null; // deleted in between
  if (doc.created_by === ctx.userId) return { doc, role: 'owner', write: true, manage: true };
  const role = (await docs.getDocumentCollaborators(id)).find((c) => c.user_id === ctx.userId)?.role ?? null;
  return { doc, role, write: role === 'owner' || role === 'editor', manage: role === 'owner' };
}

const visibility = (d: DocumentRecord) => (d.is_public ? 'public' : 'private');

async function newDoc(ctx: CommandContext, rest: string): Promise<CommandResult> {
  const priv = /^--private(?:\s+|$)/.exec(rest);
  const body = priv ? rest.slice(priv[0].length) : rest;
  const bar = body.indexOf('|');
  const title = (bar < 0 ? body : body.slice(0, bar)).trim();
  const content = bar < 0 ? '' : body.slice(bar + 1).trim();
  if (!title) return failed(`A document needs a title.\n${DOC_USAGE}`, 'USAGE', 'missing title');
  // The id is derived from the asking message: another copy of it (a retry, one in flight at once)
  // collides and answers with the document the first created, so it is created once.
  const id = rowIdOf(ctx.messageId, 'document');
  const { row: doc } = await insertOnce(
    () =>
      ctx.db.documentService.createDocument({
        id,
        title,
        content,
        createdBy: ctx.userId,
        createdByUsername: ctx.username,
        isPublic: !priv,
        metadata: { channelId: ctx.channelId, createdFrom: ctx.messageId },
      }),
    () => ctx.db.documentService.getDocument(id),
  );
  return ok(`Created document ${doc.id} "${snippet(doc.title, 60)}" (v${doc.version}, ${plural([...doc.content].length, 'character')}, ${visibility(doc)}).`);
}

async function showDoc(ctx: CommandContext, id: string, extra: number): Promise<CommandResult> {
  if (!id || extra > 0) return failed(`Tell me which document to show.\n${DOC_USAGE}`, 'USAGE', 'bad !doc show arguments');
  const a = await accessOf(ctx, id);
  if (!a) return notFound(id);
  const collaborators = await ctx.db.documentService.getDocumentCollaborators(id);
  const others = collaborators.filter((c) => c.user_id !== a.doc.created_by);
  return ok(
    [
      `Document ${a.doc.id} "${snippet(a.doc.title, 60)}" v${a.doc.version}, ${visibility(a.doc)}, by ${a.doc.created_by_username ?? a.doc.created_by}` +
        (others.length ? `, shared with ${others.map((c) => `${c.user_id} (${c.role ?? 'editor'})`).join(', ')}` : ''),
      a.doc.content ? snippet(a.doc.content, 500) : '(empty)',
    ].join('\n'),
  );
}

async function editDoc(ctx: CommandContext, id: string, content: string): Promise<CommandResult> {
  if (!id || !content) return failed(`Tell me which document and the new content.\n${DOC_USAGE}`, 'USAGE', 'missing id or content');
  const a = await accessOf(ctx, id);
  if (!a) return notFound(id);
  if (!a.write) return forbidden(id, 'edit', a.role);
  await ctx.db.documentService.updateDocumentContent(id, content);
  const doc = await ctx.db.documentService.getDocument(id);
  if (!doc) return notFound(id);
  return ok(`Updated document ${doc.id} "${snippet(doc.title, 60)}" to v${doc.version}.`);
}

async function retitleDoc(ctx: CommandContext, id: string, title: string): Promise<CommandResult> {
  if (!id || !title) return failed(`Tell me which document and its new title.\n${DOC_USAGE}`, 'USAGE', 'missing id or title');
  const a = await accessOf(ctx, id);
  if (!a) return notFound(id);
  if (!a.write) return forbidden(id, 'rename', a.role);
  await ctx.db.documentService.updateDocumentTitle(id, title);
  const doc = await ctx.db.documentService.getDocument(id);
  if (!doc) return notFound(id);
  return ok(`Renamed document ${doc.id} to "${snippet(doc.title, 60)}" (v${doc.version}).`);
}

async function shareDoc(ctx: CommandContext, id: string, target: string, role: string, extra: number): Promise<CommandResult> {
  if (!id || !target || extra > 0 || !SHARE_ROLES.has(role)) {
    return failed(`Tell me the document, the user and optionally the role (viewer or editor).\n${DOC_USAGE}`, 'USAGE', 'bad !doc share arguments');
  }
  const a = await accessOf(ctx, id);
  if (!a) return notFound(id);
  if (!a.manage) return forbidden(id, 'share', a.role);
  if (target === a.doc.created_by) return failed(`${target} created document ${id}: they have it already.`, 'USAGE', 'cannot share a document with its creator');
  // The collaborator row keeps a username (omega's column): the one the bot knows from the profile.
  const username = (await ctx.db.userProfileService.getUserProfile(target))?.username;
  await ctx.db.documentService.addCollaborator({ documentId: id, userId: target, username, role });
  return ok(`Shared document ${id} with ${target} as ${role}.`);
}

/** The creator or an `owner` takes a collaborator off; any collaborator may take themself off. */
async function unshareDoc(ctx: CommandContext, id: string, target: string, extra: number): Promise<CommandResult> {
  if (!id || !target || extra > 0) return failed(`Tell me the document and the user to take off it.\n${DOC_USAGE}`, 'USAGE', 'bad !doc unshare arguments');
  const a = await accessOf(ctx, id);
  if (!a) return notFound(id);
  if (!a.manage && target !== ctx.userId) return forbidden(id, 'unshare', a.role);
  if (target === a.doc.created_by) return failed(`${target} created document ${id} and can't be taken off it; delete it instead.`, 'USAGE', 'cannot unshare the creator');
  const shared = (await ctx.db.documentService.getDocumentCollaborators(id)).some((c) => c.user_id === target);
  if (!shared) return ok(`Document ${id} was not shared with ${target}.`);
  await ctx.db.documentService.removeCollaborator(id, target);
  return ok(`Document ${id} is no longer shared with ${target}.`);
}

/** Deletes a document (its collaborators go with it, in one transaction). Creator or `owner` only. */
async function deleteDoc(ctx: CommandContext, id: string, extra: number): Promise<CommandResult> {
  if (!id || extra > 0) return failed(`Tell me which document to delete.\n${DOC_USAGE}`, 'USAGE', 'bad !doc delete arguments');
  const a = await accessOf(ctx, id);
  if (!a) return notFound(id);
  if (!a.manage) return forbidden(id, 'delete', a.role);
  await ctx.db.documentService.deleteDocument(id);
  return ok(`Deleted document ${id}.`);
}

/** The asker's own documents (`listDocuments({ createdBy })`), most recently updated first. */
async function listDocs(ctx: CommandContext): Promise<CommandResult> {
  const docs = await ctx.db.documentService.listDocuments({ createdBy: ctx.userId, limit: DOC_LIST_LIMIT });
  if (docs.length === 0) return ok('You have no documents yet. Create one with !doc new <title> | <content>.');
  const total = docs.length < DOC_LIST_LIMIT ? docs.length : await ctx.db.documentService.getDocumentCount({ createdBy: ctx.userId });
  const head = total > docs.length ? `Your documents (${total}, latest ${docs.length}):` : `Your documents (${total}):`;
  return ok([head, ...docs.map((d) => `- ${d.id} "${snippet(d.title, 60)}" v${d.version} (${visibility(d)})`)].join('\n'));
}

const notFound = (id: string) => failed(`I can't find document ${id}, or it isn't shared with you.`, 'NOT_FOUND', `document ${id} not found`);

const forbidden = (id: string, action: string, role: string | null) =>
  failed(
    `You can't ${action} document ${id}: only its creator can share, unshare or delete it, and only the creator and editors can change it.`,
    'FORBIDDEN',
    `${action} of document ${id} as ${role ?? 'a reader of a public document'}`,
  );

/** Turns a document error of the service into a reply (`NOT_FOUND`, `INVALID_INPUT`); rethrows anything else. */
export function documentErrorReply(e: unknown, documentId = '?'): CommandResult {
  if (!isDatabaseError(e)) throw e;
  switch (e.code) {
    case 'NOT_FOUND':
      return notFound(documentId);
    case 'INVALID_INPUT':
      return failed(`That didn't work: ${e.message}.\n${DOC_USAGE}`, 'INVALID_INPUT', e.message);
    default:
      throw e;
  }
}
