import { isDatabaseError, type Document } from '@repo/database';
import { plural, snippet } from './format.js';
import { failed, ok, type CommandContext, type CommandResult } from './types.js';

/** Usage text of `!doc`. */
export const DOC_USAGE = [
  'Usage:',
  '!doc new <title> | <content>',
  '!doc edit <id> <content>',
  '!doc share <id> <userId> [viewer|editor]',
  '!doc unshare <id> <userId>',
  '!doc delete <id>',
  '!doc list',
].join('\n');

/**
 * `!doc new|edit|share|unshare|delete|list`. Document errors from the service (`NOT_FOUND`, `FORBIDDEN`,
 * `VERSION_CONFLICT`, `INVALID_INPUT`) become replies that say what to do; other errors propagate.
 */
export async function docCommand(ctx: CommandContext, args: string): Promise<CommandResult> {
  const [, sub = '', rest = ''] = /^(\S*)\s*([\s\S]*)$/.exec(args) ?? [];
  let documentId: string | undefined;
  try {
    switch (sub.toLowerCase()) {
      case 'new':
        return await newDoc(ctx, rest);
      case 'edit': {
        const [, id = '', content = ''] = /^(\S*)\s*([\s\S]*)$/.exec(rest) ?? [];
        documentId = id;
        return await editDoc(ctx, id, content);
      }
      case 'share': {
        const [id = '', target = '', role = 'viewer', ...extra] = rest.split(/\s+/).filter(Boolean);
        documentId = id;
        return await shareDoc(ctx, id, target, role.toLowerCase(), extra.length);
      }
      case 'unshare': {
        const [id = '', target = '', ...extra] = rest.split(/\s+/).filter(Boolean);
        documentId = id;
        return await unshareDoc(ctx, id, target, extra.length);
      }
      case 'delete': {
        const [id = '', ...extra] = rest.split(/\s+/).filter(Boolean);
        documentId = id;
        return await deleteDoc(ctx, id, extra.length);
      }
      case 'list':
        return await listDocs(ctx);
      default:
        return failed(DOC_USAGE, 'USAGE', `unknown !doc subcommand ${JSON.stringify(sub)}`);
    }
  } catch (e) {
    return documentErrorReply(e, documentId);
  }
}

async function newDoc(ctx: CommandContext, rest: string): Promise<CommandResult> {
  const bar = rest.indexOf('|');
  const title = (bar < 0 ? rest : rest.slice(0, bar)).trim();
  const content = bar < 0 ? '' : rest.slice(bar + 1).trim();
  if (!title) return failed(`A document needs a title.\n${DOC_USAGE}`, 'USAGE', 'missing title');
  const doc = await ctx.db.documentService.createDocument({ ownerId: ctx.userId, title, content, metadata: { channelId: ctx.channelId, createdFrom: ctx.messageId } });
  return ok(`Created document ${doc.id} "${snippet(doc.title, 60)}" (v${doc.version}, ${plural(doc.content.length, 'character')}).`, { documentCreated: true });
}

async function editDoc(ctx: CommandContext, id: string, content: string): Promise<CommandResult> {
  if (!id || !content.trim()) return failed(`Tell me which document and the new content.\n${DOC_USAGE}`, 'USAGE', 'missing id or content');
  // Optimistic locking: edit the version we just read; a concurrent edit is a VERSION_CONFLICT.
  const current = await ctx.db.documentService.getDocument({ documentId: id, userId: ctx.userId });
  if (!current) return notFound(id);
  const doc = await ctx.db.documentService.updateDocument({ documentId: id, userId: ctx.userId, expectedVersion: current.version, content: content.trim() });
  return ok(`Updated document ${doc.id} "${snippet(doc.title, 60)}" to v${doc.version}.`);
}

async function shareDoc(ctx: CommandContext, id: string, target: string, role: string, extra: number): Promise<CommandResult> {
  if (!id || !target || extra > 0 || (role !== 'viewer' && role !== 'editor')) {
    return failed(`Tell me the document, the user and optionally the role (viewer or editor).\n${DOC_USAGE}`, 'USAGE', 'bad !doc share arguments');
  }
  const c = await ctx.db.documentService.addCollaborator({ documentId: id, actorId: ctx.userId, userId: target, role });
  return ok(`Shared document ${id} with ${target} as ${c.role}.`);
}

/** The owner takes a collaborator off, or a collaborator leaves (`userId` = themself). */
async function unshareDoc(ctx: CommandContext, id: string, target: string, extra: number): Promise<CommandResult> {
  if (!id || !target || extra > 0) return failed(`Tell me the document and the user to take off it.\n${DOC_USAGE}`, 'USAGE', 'bad !doc unshare arguments');
  const removed = await ctx.db.documentService.removeCollaborator({ documentId: id, actorId: ctx.userId, userId: target });
  return ok(removed ? `Document ${id} is no longer shared with ${target}.` : `Document ${id} was not shared with ${target}.`);
}

/** Deletes a document the user owns, with its collaborators. */
async function deleteDoc(ctx: CommandContext, id: string, extra: number): Promise<CommandResult> {
  if (!id || extra > 0) return failed(`Tell me which document to delete.\n${DOC_USAGE}`, 'USAGE', 'bad !doc delete arguments');
  await ctx.db.documentService.deleteDocument({ documentId: id, userId: ctx.userId });
  return ok(`Deleted document ${id}.`);
}

async function listDocs(ctx: CommandContext): Promise<CommandResult> {
  const docs = await ctx.db.documentService.listDocumentsForUser(ctx.userId, { limit: 10 });
  if (docs.length === 0) return ok('You have no documents yet. Create one with !doc new <title> | <content>.');
  return ok([`Your documents (${docs.length}${docs.length === 10 ? ', newest 10' : ''}):`, ...docs.map((d) => line(d, ctx.userId))].join('\n'));
}

const line = (d: Document, userId: string) => `- ${d.id} "${snippet(d.title, 60)}" v${d.version}${d.ownerId === userId ? '' : ` (shared by ${d.ownerId})`}`;

const notFound = (id: string) => failed(`I can't find document ${id}, or it isn't shared with you.`, 'NOT_FOUND', `document ${id} not found`);

/** Turns a document error into a reply; rethrows anything that is not one. */
export function documentErrorReply(e: unknown, documentId = '?'): CommandResult {
  if (!isDatabaseError(e)) throw e;
  switch (e.code) {
    case 'NOT_FOUND':
      return notFound(documentId);
    case 'FORBIDDEN':
      return failed(`You can't do that to document ${documentId}: only its owner can share, unshare or delete it, and viewers can't edit it.`, 'FORBIDDEN', e.message);
    case 'VERSION_CONFLICT':
      return failed(
        `Document ${documentId} was changed by someone else just now (it is at v${String(e.details.currentVersion ?? '?')}). Run the edit again to apply yours on top.`,
        'VERSION_CONFLICT',
        e.message,
      );
    case 'INVALID_INPUT':
      return failed(`That didn't work: ${e.message}.\n${DOC_USAGE}`, 'INVALID_INPUT', e.message);
    default:
      throw e;
  }
}
