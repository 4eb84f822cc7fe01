import pino, { type Logger } from 'pino';
import type { Config } from './config';

/** Keys that must never reach a log line, at any depth pino can redact. */
const redact = {
  paths: [
    'secrets', '*.secrets', 'token', '*.token', 'apiKey', '*.apiKey', 'password', '*.password',
    'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
    '*.headers["x-redmine-api-key"]', 'headers["x-redmine-api-key"]',
  ],
  censor: '[redacted]',
};

/** JSON logs by default; pretty in development when pino-pretty is installed. */
export function createLogger(config: Pick<Config, 'LOG_LEVEL' | 'LOG_FORMAT' | 'NODE_ENV'>): Logger {
  const format = config.LOG_FORMAT ?? (config.NODE_ENV === 'development' && process.stdout.isTTY ? 'pretty' : 'json');
  if (format === 'pretty') {
    return pino({
      level: config.LOG_LEVEL,
      redact,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } },
    });
  }
  return pino({ level: config.LOG_LEVEL, redact });
}

export type { Logger };
