import postgres from 'postgres';
import { redactUrl } from '../logger.js';

/** The server tests use, unless TEST_DATABASE_URL says otherwise. */
export const DEFAULT_TEST_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres';

/** Connections one embedded PGlite accepts at once (pglite-socket's default is 1); above any test pool size. */
const EMBEDDED_MAX_CONNECTIONS = 64;

let server: Promise<string | null> | null = null;
let sharedEmbedded: Promise<string> | null = null;
let announcedEmbedded = false;
let template: Promise<import('@electric-sql/pglite').PGlite> | null = null;

async function answers(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`SELECT 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

/** The real server's admin URL, or null when none answers (checked once per process). */
function realServer(): Promise<string | null> {
  server ??= (async () => {
    const url = process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_SERVER;
    if (await answers(url)) {
      if (!process.env.__PG_ANNOUNCED) {
        process.env.__PG_ANNOUNCED = '1';
        process.stderr.write(`[tests] PostgreSQL: using the server at ${redactUrl(url)}\n`);
      }
      return url;
    }
    return null;
  })();
  return server;
}

/**
 * Starts one embedded PGlite behind `@electric-sql/pglite-socket` on a free loopback port.
 * PGlite holds exactly one database and ignores the database name a client asks for, so a
 * "fresh database" on it has to be a fresh instance (a clone of a per-process template).
 */
async function startEmbedded(): Promise<{ url: string; stop: () => Promise<void> }> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  // initdb runs once per process (seconds); each database is a clone of that template (~1 s).
  // btree_gin: migration 0003's search index (PGlite ships it as a contrib extension to load).
  const { btree_gin } = await import('@electric-sql/pglite/contrib/btree_gin');
  template ??= PGlite.create({ extensions: { btree_gin } });
  const db = (await (await template).clone()) as InstanceType<typeof PGlite>;
  const socketServer = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: EMBEDDED_MAX_CONNECTIONS });
  serializeProtocolCycles(socketServer);
  await socketServer.start();
  const url = `postgres://postgres@${socketServer.getServerConn()}/postgres`;
  if (!announcedEmbedded) {
    announcedEmbedded = true;
    const tried = process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_SERVER;
    process.stderr.write(
      `[tests] PostgreSQL: no server answered at ${redactUrl(tried)}; using embedded PGlite (one instance per test database, ` +
        `up to ${EMBEDDED_MAX_CONNECTIONS} connections each), first on ${socketServer.getServerConn()}\n`,
    );
  }
  return {
    url,
    stop: async () => {
      await socketServer.stop();
      await db.close();
    },
  };
}

/** The fields of pglite-socket 0.2.17's query queue that {@link serializeProtocolCycles} relies on. */
interface SocketQueue {
  queue: Array<{ handlerId: number; message: Uint8Array; resolve: (n: number) => void; reject: (e: Error) => void; onData: (d: Uint8Array) => void }>;
  processing: boolean;
  lastHandlerId: number | null;
  db: { isInTransaction(): boolean; runExclusive<T>(fn: () => Promise<T>): Promise<T>; execProtocolRawStream(m: Uint8Array, o: { onRawData: (d: Uint8Array) => void }): Promise<unknown> };
  processQueue(): Promise<void>;
  clearQueueForHandler(handlerId: number): void;
}

/** Frontend messages that open (Parse, Bind, Describe, Execute, Close, Flush) or end (Sync, Query) a request cycle. */
const OPENS_CYCLE = new Set([0x50, 0x42, 0x44, 0x45, 0x43, 0x48]);
const ENDS_CYCLE = new Set([0x53, 0x51]);

/**
 * pglite-socket multiplexes its clients onto PGlite's one session message by message, keeping a
 * client exclusive only inside an explicit transaction. With several pooled connections, another
 * client's Sync then lands between one client's Bind and Execute and drops its unnamed portal
 * (`portal "" does not exist`), or replaces its unnamed statement. This keeps a client exclusive
 * from the first message of an extended-protocol cycle to its Sync (as a server session would),
 * and no longer stops the queue for good when one message throws. Replaces the queue's
 * `processQueue` of pglite-socket 0.2.17 (the version pinned in package.json).
 */
function serializeProtocolCycles(server: object): void {
  const q = (server as { queryQueue?: SocketQueue }).queryQueue;
  if (!q || typeof q.processQueue !== 'function' || !Array.isArray(q.queue) || typeof q.clearQueueForHandler !== 'function') {
    throw new Error('pglite-socket changed: its query queue is not the 0.2.17 shape src/testing/postgres.ts expects');
  }
  let cycleOwner: number | null = null;
  q.processQueue = async function processQueue(this: SocketQueue) {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        const owner = this.db.isInTransaction() ? this.lastHandlerId : cycleOwner;
        const i = owner === null ? 0 : this.queue.findIndex((m) => m.handlerId === owner);
        if (i === -1) break; // the owner's next message has not arrived yet: enqueue() restarts us
        const [m] = this.queue.splice(i, 1);
        let bytes = 0;
        try {
          await this.db.runExclusive(() => this.db.execProtocolRawStream(m!.message, { onRawData: (d) => ((bytes += d.length), m!.onData(d)) }));
        } catch (e) {
          m!.reject(e as Error);
          continue;
        }
        this.lastHandlerId = m!.handlerId;
        const type = m!.message[0]!;
        if (ENDS_CYCLE.has(type)) cycleOwner = null;
        else if (OPENS_CYCLE.has(type)) cycleOwner = m!.handlerId;
        m!.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  };
  const clear = q.clearQueueForHandler.bind(q);
  q.clearQueueForHandler = (handlerId: number) => {
    clear(handlerId);
    if (cycleOwner === handlerId) {
      cycleOwner = null;
      void q.processQueue();
    }
  };
}

/**
 * The admin URL of the PostgreSQL the tests use: TEST_DATABASE_URL, else the local server on
 * 127.0.0.1:5432; when neither answers, an embedded PGlite behind `@electric-sql/pglite-socket`
 * (its `maxConnections` defaults to 1, so it is raised above the pool size). Says which on stderr.
 */
export async function testServerUrl(): Promise<string> {
  const url = await realServer();
  if (url) return url;
  sharedEmbedded ??= startEmbedded().then((e) => e.url);
  return sharedEmbedded;
}

/**
 * A fresh, empty database on the test server, dropped by `drop()`.
 * Each test file gets its own, so files can run in parallel. On embedded PGlite each call starts
 * its own instance (PGlite has one database per instance), which `drop()` stops.
 */
export async function createTestPostgres(prefix = 't'): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = await realServer();
  if (!admin) {
    const embedded = await startEmbedded();
    return { url: embedded.url, drop: embedded.stop };
  }
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`.toLowerCase();
  const sql = postgres(admin, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await sql.end({ timeout: 1 });
  }
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const s = postgres(admin, { max: 1, onnotice: () => {} });
      try {
        await s.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await s.end({ timeout: 1 });
      }
    },
  };
}
