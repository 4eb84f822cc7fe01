/**
 * What a log line says about a failure: its class, a message safe to keep, how it is classified
 * (what the engine does next) and the remote's status. Built by shape, not by import, because this
 * leaf module sees errors from every layer: connectors' RemoteError, Temporal's ApplicationFailure,
 * pg and drizzle errors, Node socket errors.
 */
import { scrubQueryText } from './log-errors';

export type ErrorClassification = 'transient' | 'permanent' | 'auth' | 'conflict' | 'unclassified';

export interface ErrorSummary {
  type: string;
  message: string;
  classification: ErrorClassification;
  /** The remote's HTTP status, when a remote answered. */
  status?: number;
  /** SQLSTATE or socket error code. */
  code?: string;
  /** The innermost cause, when it is not the error itself. */
  cause?: string;
}

/** Long messages are cut: a remote's message may quote its response body, which a log must not hold. */
const MAX_MESSAGE = 300;

/** SQLSTATEs and socket codes that say the database is out of reach for now, not that the statement is wrong. */
const UNAVAILABLE_CODES = new Set([
  '57P01', '57P02', '57P03', '53300', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
]);
const UNAVAILABLE_MESSAGES = /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|terminating connection)/;

/** Failure types of activities/failures.ts (kept by value: this module must not import upward). */
const FAILURE_TYPES: Record<string, ErrorClassification> = {
  TransientError: 'transient', PermanentError: 'permanent', AuthError: 'auth', ConflictError: 'conflict', NotFound: 'permanent', DatabaseUnavailable: 'transient',
};
const REMOTE_KINDS = new Set<ErrorClassification>(['transient', 'permanent', 'auth', 'conflict']);

type Loose = Error & { code?: unknown; kind?: unknown; status?: unknown; type?: unknown; nonRetryable?: unknown; details?: unknown; query?: unknown };

function* chain(err: unknown): Generator<Loose> {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) yield e as Loose;
}

/** A lost connection, a restarting server, a held-lock connection gone: retrying later will work. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (const e of chain(err)) {
    if (e.name === 'LockLostError') return true;
    if (typeof e.code === 'string' && (UNAVAILABLE_CODES.has(e.code) || e.code.startsWith('08'))) return true;
    if (UNAVAILABLE_MESSAGES.test(e.message)) return true;
  }
  return false;
}

/** Without bound query values or quoted input (see log-errors.ts), and short. */
export function safeMessage(message: string): string {
  const cut = scrubQueryText(message);
  return cut.length > MAX_MESSAGE ? `${cut.slice(0, MAX_MESSAGE)}…` : cut;
}

function classify(err: Loose): Pick<ErrorSummary, 'classification' | 'status'> {
  for (const e of chain(err)) {
    const status = typeof e.status === 'number' ? e.status : undefined;
    if (e.name.startsWith('RemoteError') && REMOTE_KINDS.has(e.kind as ErrorClassification)) {
      return { classification: e.kind as ErrorClassification, ...(status !== undefined ? { status } : {}) };
    }
    if (e.name === 'ApplicationFailure' && typeof e.type === 'string') {
      const detail = Array.isArray(e.details) ? (e.details[0] as { status?: unknown } | undefined) : undefined;
      const failureStatus = typeof detail?.status === 'number' ? detail.status : undefined;
      const classification = FAILURE_TYPES[e.type] ?? (e.nonRetryable ? 'permanent' : 'transient');
      return { classification, ...(failureStatus !== undefined ? { status: failureStatus } : {}) };
    }
  }
  return { classification: isDatabaseUnavailable(err) || isTemporalUnavailable(err) ? 'transient' : 'unclassified' };
}

/** gRPC UNAVAILABLE (14) or DEADLINE_EXCEEDED (4) under a Temporal client error: the server is away, not the call wrong. */
function isTemporalUnavailable(err: unknown): boolean {
  for (const e of chain(err)) {
    if ((e.code === 14 || e.code === 4) && 'metadata' in e) return true;
  }
  return false;
}

/** Summaries made here, which the logger's serializers keep as they are. */
const summaries = new WeakSet<object>();
export const isErrorSummary = (value: unknown): value is ErrorSummary => typeof value === 'object' && value !== null && summaries.has(value);

/** A plain, log-safe description of any thrown value; never the error's own fields wholesale. */
export function summarizeError(err: unknown): ErrorSummary {
  const summary = describe(err);
  summaries.add(summary);
  return summary;
}

function describe(err: unknown): ErrorSummary {
  if (!(err instanceof Error)) return { type: typeof err, message: safeMessage(String(err)), classification: 'unclassified' };
  const e = err as Loose;
  const code = [...chain(e)].map((c) => c.code).find((c): c is string => typeof c === 'string');
  const root = [...chain(e)].at(-1);
  const type = e.constructor?.name && e.constructor.name !== 'Error' ? e.constructor.name : e.name;
  return {
    type: e.name === 'ApplicationFailure' && typeof e.type === 'string' ? `ApplicationFailure(${e.type})` : type,
    message: safeMessage(e.message),
    ...classify(e),
    ...(code ? { code } : {}),
    ...(root && root !== e ? { cause: `${root.name}: ${safeMessage(root.message)}` } : {}),
  };
}
