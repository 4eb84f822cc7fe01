import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from 'pino';

const toPino: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error',
};

let installed = false;

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
      sdk[toPino[level]](meta ?? {}, message);
    }),
    shutdownSignals: [],
  });
}
