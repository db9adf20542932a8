import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Query parameters and keyword/value keys whose value is a secret. */
const SECRET_KEY = /^(?:password|passwd|pass|pwd|sslpassword|authtoken|auth_token|token|access_token|secret|api_?key)$/i;
// `scheme://` and everything up to the last `@` of the token (user and password, even with unencoded `@`, `/`, `:`).
const URL_WITH_CREDENTIALS = /\b([a-z][a-z0-9+.-]*):\/\/(?:[^\s@]*@)+/gi;
const TOKEN_PARAM = /([?&;](?:authToken|auth_token|password|sslpassword|token|access_token|secret|api_?key)=)[^&\s"']+/gi;
const KEYWORD_SECRET = /(?<![?&;\w])((?:ssl)?password|authToken|auth_token|token)(\s*=\s*)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\S+)/gi;

/** Secret values taken from the parsed configuration (passwords, tokens), longest first. */
let knownSecrets: string[] = [];
const MAX_KNOWN_SECRETS = 64;

/**
 * Remembers a secret value (a password or token from the configuration) so that {@link redact}
 * replaces it wherever it appears, whatever surrounds it: in a driver's error text, in a URL the
 * patterns cannot delimit (a password with spaces or quotes), or pasted into the wrong variable.
 * Its percent-encoded and decoded forms are remembered too. Values shorter than 4 characters are
 * ignored (replacing them everywhere would garble every line); at most 64 values are kept.
 */
export function registerSecret(value: string | undefined | null): void {
  if (!value) return;
  const forms = new Set([value, value.trim()]);
  try {
    forms.add(decodeURIComponent(value));
  } catch {
    // a malformed %-escape: the raw form is enough
  }
  forms.add(encodeURIComponent(value));
  const next = new Set(knownSecrets);
  for (const f of forms) if (f.length >= 4) next.add(f);
  knownSecrets = [...next].sort((a, b) => b.length - a.length).slice(0, MAX_KNOWN_SECRETS);
}

/** A connection string split into its parts (see {@link parseConnectionString}). */
export interface ParsedConnection {
  /** `url`: `scheme://[userinfo@]host[:port][/path][?query]`; `keyword`: libpq's `key=value …`; `other`: neither (`file:x.db`, `:memory:`, garbage). */
  readonly form: 'url' | 'keyword' | 'other';
  /** Lower-case scheme without `:` (`postgres`, `libsql`, `file`…), or null. */
  readonly scheme: string | null;
  /** `user[:password]` exactly as written (before the last `@`), or null when there is none. */
  readonly userinfo: string | null;
  /** The password as written (percent-encoded or not), or null. */
  readonly password: string | null;
  /** `host[:port]` as written ('' when none). */
  readonly authority: string;
  /** `/path` ('' when none). */
  readonly path: string;
  /** Query or keyword/value parameters, in order. */
  readonly params: ReadonlyArray<readonly [key: string, value: string]>;
}

/** libpq keyword/value pairs: `key = value`, a value optionally single-quoted with `\\` escapes. */
function parseKeywordValue(text: string): Array<[string, string]> | null {
  const out: Array<[string, string]> = [];
  const re = /\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*('(?:[^'\\]|\\.)*'|[^\s']*)/y;
  let i = 0;
  while (i < text.length) {
    if (/^\s*$/.test(text.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) return null;
    out.push([m[1]!, m[2]!.startsWith("'") ? m[2]!.slice(1, -1).replace(/\\(.)/g, '$1') : m[2]!]);
    i = re.lastIndex;
  }
  return out.length ? out : null;
}

/**
 * Splits a connection string into its parts without decoding or validating them, so that it works
 * on what an operator typed, even when the URL parser would refuse it (a password with an unencoded
 * `/`, `"`, `@` or space): the user information is everything between `://` and the LAST `@`.
 */
export function parseConnectionString(text: string): ParsedConnection {
  const m = /^\s*([a-z][a-z0-9+.-]*):\/\/([\s\S]*)$/i.exec(text);
  if (m) {
    const rest = m[2]!;
    const at = rest.lastIndexOf('@');
    const userinfo = at >= 0 ? rest.slice(0, at) : null;
    const after = at >= 0 ? rest.slice(at + 1) : rest;
    const q = after.indexOf('?');
    const hostPath = q >= 0 ? after.slice(0, q) : after;
    const query = q >= 0 ? after.slice(q + 1) : '';
    const slash = hostPath.indexOf('/');
    const colon = userinfo?.indexOf(':') ?? -1;
    return {
      form: 'url',
      scheme: m[1]!.toLowerCase(),
      userinfo,
      password: userinfo !== null && colon >= 0 ? userinfo.slice(colon + 1) : null,
      authority: slash >= 0 ? hostPath.slice(0, slash) : hostPath,
      path: slash >= 0 ? hostPath.slice(slash) : '',
      params: query
        ? query.split('&').map((kv) => {
            const eq = kv.indexOf('=');
            return eq >= 0 ? ([kv.slice(0, eq), kv.slice(eq + 1)] as const) : ([kv, ''] as const);
          })
        : [],
    };
  }
  const kv = text.includes('=') ? parseKeywordValue(text) : null;
  if (kv) return { form: 'keyword', scheme: null, userinfo: null, password: kv.find(([k]) => /^password$/i.test(k))?.[1] ?? null, authority: '', path: '', params: kv };
  const s = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase() ?? null;
  const q = text.indexOf('?');
  const params = q >= 0 ? text.slice(q + 1).split('&').map((kv2) => [kv2.split('=')[0]!, kv2.split('=').slice(1).join('=')] as const) : [];
  return { form: 'other', scheme: s, userinfo: null, password: null, authority: '', path: q >= 0 ? text.slice(0, q) : text, params };
}

/**
 * Registers the secrets of a connection string (its password, its secret parameters such as
 * `authToken=` or `password=`) with {@link registerSecret}. `loadConfig` calls it for DATABASE_URL
 * and LIBSQL_URL before validating anything, so even a value it refuses is never printed.
 */
export function registerConnectionSecrets(text: string | undefined | null): void {
  if (!text) return;
  const p = parseConnectionString(text);
  registerSecret(p.password);
  for (const [k, v] of p.params) if (SECRET_KEY.test(k)) registerSecret(v);
}

/**
 * Removes credentials from any string: every secret value the configuration holds (see
 * {@link registerSecret}) wherever it appears; `scheme://user:pw@host` → `scheme://***@host`
 * (up to the last `@`); `?authToken=…`, `password=…` (query or libpq keyword/value) → `***`.
 * Used on every logged message and error.
 */
export function redact(text: string): string {
  let out = text;
  for (const secret of knownSecrets) if (out.includes(secret)) out = out.split(secret).join('***');
  return out
    .replace(URL_WITH_CREDENTIALS, (_m, scheme: string) => `${scheme}://***@`)
    .replace(TOKEN_PARAM, '$1***')
    .replace(KEYWORD_SECRET, '$1$2***');
}

/**
 * A connection string for display, from its parsed parts (see {@link parseConnectionString}):
 * scheme, host, port, database and harmless parameters kept; user and password → `***@`; secret
 * parameters (`authToken`, `password`, `sslpassword`…) → `***`. A libpq keyword/value string keeps
 * its keys with secret values replaced. Anything else unparseable as a connection string is shown
 * only by its scheme.
 */
export function redactUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const p = parseConnectionString(url);
  const params = (sep: string) => p.params.map(([k, v]) => (SECRET_KEY.test(k) ? `${k}=***` : v === '' && !url.includes(`${k}=`) ? k : `${k}=${redact(v)}`)).join(sep);
  if (p.form === 'url') {
    const host = redact(p.authority);
    return `${url.trim().slice(0, url.trim().indexOf('://'))}://${p.userinfo !== null ? '***@' : ''}${host}${redact(p.path)}${p.params.length ? `?${params('&')}` : ''}`;
  }
  if (p.form === 'keyword') return p.params.map(([k, v]) => `${k}=${SECRET_KEY.test(k) ? '***' : /[\s']/.test(v) ? `'${redact(v).replace(/'/g, "\\'")}'` : redact(v)}`).join(' ');
  if (p.scheme === 'file' || url === ':memory:') return `${redact(p.path)}${p.params.length ? `?${params('&')}` : ''}`;
  return p.scheme ? `${p.scheme}:***` : '***';
}

/**
 * Redacts every string in a log object's plain objects, arrays and errors, at any depth (to 8
 * levels): `stats.lastError.message` can carry a driver's error text as well as `err.message`.
 * Error-like objects (a string `message`) keep their fields but lose `stack`, which repeats the
 * message. Other objects (Date, Buffer…) are left for pino to print.
 */
function redactDeep(v: unknown, depth: number): unknown {
  if (typeof v === 'string') return redact(v);
  if (v === null || typeof v !== 'object' || depth > 8) return v;
  if (Array.isArray(v)) return v.map((x) => redactDeep(x, depth + 1));
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null && !(v instanceof Error)) return v; // Date, Buffer, Map…: as pino prints them
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = redactDeep(x, depth + 1);
  if (typeof (v as Error).message === 'string') {
    out.message = redact((v as Error).message);
    out.stack = undefined;
  }
  return out;
}

/**
 * The package logger: pino JSON to stdout, with connection strings and tokens redacted from
 * known fields (`databaseUrl`, `libsqlAuthToken`, `*.password`…) and from every string of every log
 * line, nested ones and error messages included (`redactDeep`).
 * Set `LOG_PRETTY=true` (or run in a terminal with `LOG_PRETTY` unset) for pino-pretty output.
 */
export function createLogger(options: { level?: string; name?: string; destination?: pino.DestinationStream } = {}): Logger {
  const pretty = process.env.LOG_PRETTY ? /^(1|true|yes|on)$/i.test(process.env.LOG_PRETTY) : false;
  const base: pino.LoggerOptions = {
    name: options.name ?? 'database',
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: {
      paths: ['databaseUrl', 'libsqlAuthToken', 'authToken', 'password', '*.databaseUrl', '*.libsqlAuthToken', '*.password', '*.authToken', 'config.databaseUrl', 'config.libsqlAuthToken'],
      censor: '***',
    },
    formatters: {
      log: (obj) => redactDeep(obj, 0) as Record<string, unknown>,
      bindings: (bindings) => redactDeep(bindings, 0) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        const redacted = args.map((a) => (typeof a === 'string' ? redact(a) : a));
        // `log.error(err)` takes its msg from err.message, after the formatters: give it one.
        if (redacted.length === 1 && redacted[0] instanceof Error) redacted.push(redact(redacted[0].message));
        method.apply(this, redacted as Parameters<typeof method>);
      },
    },
  };
  const logger = options.destination ? pino(base, options.destination) : pretty ? pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true } } }) : pino(base);
  // pino does not run `formatters.bindings` on a child's bindings: redact them on the way in.
  const child = logger.child;
  logger.child = function (this: Logger, bindings, opts) {
    return child.call(this, redactDeep(bindings, 0) as typeof bindings, opts);
  } as typeof logger.child;
  return logger;
}
