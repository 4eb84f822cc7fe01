import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';
import type { Config } from './config';
import { scrubQueryText, serializeError } from './log-errors';
import { isErrorSummary } from './error-summary';

/**
 * Keys that must never reach a log line, at any depth pino can redact. `secretHeaders` are the
 * credential headers the installed connectors declare (their `http.auth.header`).
 */
function redaction(secretHeaders: readonly string[]) {
  const headers = [...new Set(['authorization', ...secretHeaders.map((h) => h.toLowerCase())])];
  return {
    paths: [
      'secrets', '*.secrets', 'token', '*.token', 'apiKey', '*.apiKey', 'password', '*.password',
      'authorization', '*.authorization', 'req.headers.authorization',
      ...headers.flatMap((h) => [`headers[${JSON.stringify(h)}]`, `*.headers[${JSON.stringify(h)}]`]),
      'params', '*.params', 'secretsSealed', '*.secretsSealed', 'sig', '*.sig',
    ],
    censor: '[redacted]',
  };
}

/**
 * Errors lose bound query values and payloads (see log-errors.ts), under either key we log them with.
 * A summary (error-summary.ts: class, safe message, classification, status) is already safe and kept whole.
 */
const serialize = (e: unknown) => (isErrorSummary(e) ? e : serializeError(e));
export const serializers = { err: serialize, error: serialize };

/** `logger.error(err)` makes the error's own message the line's msg: it is scrubbed the same way. */
const hooks: NonNullable<pino.LoggerOptions['hooks']> = {
  logMethod(args, method) {
    const [first, ...rest] = args as unknown[];
    if (first instanceof Error && !rest.length) return method.apply(this, [first, scrubQueryText(first.message)] as Parameters<typeof method>);
    return method.apply(this, args.map((a) => (typeof a === 'string' ? scrubQueryText(a) : a)) as Parameters<typeof method>);
  },
};

/** pino-pretty is a development dependency: an installed trackbridge logs JSON unless the user adds it. */
function prettyInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/** JSON logs by default; pretty in development when pino-pretty is installed. */
export function createLogger(
  config: Pick<Config, 'LOG_LEVEL' | 'LOG_FORMAT' | 'NODE_ENV'>,
  destination?: pino.DestinationStream,
  secretHeaders: readonly string[] = [],
): Logger {
  const redact = redaction(secretHeaders);
  const format = config.LOG_FORMAT ?? (config.NODE_ENV === 'development' && process.stdout.isTTY && prettyInstalled() ? 'pretty' : 'json');
  if (format === 'pretty') {
    return pino({
      level: config.LOG_LEVEL,
      redact,
      serializers,
      hooks,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } },
    });
  }
  const options = { level: config.LOG_LEVEL, redact, serializers, hooks };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
