/** One level of a `Logger`: pino's call shapes, an object of fields and/or a message. */
export interface LogFn {
  (fields: object, message?: string): void;
  (message: string): void;
}

/**
 * The logger plugin code is handed (connectors, sinks, hooks, actions). The platform passes a pino
 * logger; this structural type keeps pino out of the SDK's types.
 */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}
