import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

const URL_WITH_CREDENTIALS = /\b(postgres(?:ql)?|libsql|https?|wss?):\/\/[^\s"'@/]*@/gi;
const TOKEN_PARAM = /([?&](?:authToken|auth_token|password|token)=)[^&\s"']+/gi;

/**
 * Removes credentials from any string: `postgres://user:pw@host` → `postgres://***@host`,
 * `?authToken=…` → `?authToken=***`. Used on every logged message and error.
 */
export function redact(text: string): string {
  return text.replace(URL_WITH_CREDENTIALS, (_m, scheme: string) => `${scheme}://***@`).replace(TOKEN_PARAM, '$1***');
}

/** Redacts a connection string for display: keeps scheme, host, port and database. */
export function redactUrl(url: string | undefined): string | undefined {
  return url === undefined ? undefined : redact(url);
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
