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
 * The package logger: pino JSON to stdout, with connection strings and tokens redacted from
 * known fields (`databaseUrl`, `libsqlAuthToken`, `*.password`…) and from every error message.
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
      log(obj) {
        for (const k of ['err', 'error', 'msg', 'message'] as const) {
          const v = obj[k];
          if (typeof v === 'string') obj[k] = redact(v);
          else if (v && typeof v === 'object' && typeof (v as Error).message === 'string') {
            obj[k] = { ...(v as object), message: redact((v as Error).message), stack: undefined };
          }
        }
        return obj;
      },
    },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? redact(a) : a)) as Parameters<typeof method>);
      },
    },
  };
  if (options.destination) return pino(base, options.destination);
  if (pretty) return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true } } });
  return pino(base);
}
