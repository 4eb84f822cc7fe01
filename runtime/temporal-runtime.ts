import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from 'pino';
import { summarizeError } from '../lib/error-summary';

const toPino: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error',
};

let installed = false;

/**
 * The SDK logs an activity's failure as `{ error }`, an Error that pino would print as `{}`: it
 * becomes the error's class, a safe message, its classification and the remote's status.
 */
function withErrorSummary(meta: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!meta) return {};
  if (!(meta.error instanceof Error)) return meta;
  return { ...meta, error: summarizeError(meta.error) };
}

/**
 * Routes the SDK's logs into pino (so production logs stay JSON) and leaves SIGINT/SIGTERM to our
 * own shutdown, which stops the API before draining the worker. Must run before any worker exists.
 */
export function installTemporalRuntime(logger: Logger): void {
  if (installed) return;
  installed = true;
  const verbose = logger.isLevelEnabled('debug');
  const sdk = logger.child({ component: 'temporal-sdk' });
  Runtime.install({
    logger: new DefaultLogger(verbose ? 'DEBUG' : 'WARN', ({ level, message, meta }) => {
      sdk[toPino[level]](withErrorSummary(meta), message);
    }),
    shutdownSignals: [],
  });
}
