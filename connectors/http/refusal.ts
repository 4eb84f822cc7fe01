import { PermanentError } from '../errors';

/**
 * Marks refusals across copies of this module: the server bundles one, and a plugin's
 * `@trackbridge/sdk` another, so `instanceof` cannot tell them apart.
 */
const DESTINATION_REFUSED = Symbol.for('trackbridge.DestinationRefusedError');

/** A connect the egress policy refused. Its message names the policy and the class of the address, never the address's state. */
export class DestinationRefusedError extends PermanentError {
  readonly [DESTINATION_REFUSED] = true;
  constructor(readonly reason: string) {
    super(`Destination refused by the egress policy: ${reason}`);
    this.name = 'DestinationRefusedError';
  }
}

const isRefusal = (e: Error): e is DestinationRefusedError => (e as unknown as Record<symbol, unknown>)[DESTINATION_REFUSED] === true;

/** The egress policy's refusal in `error`'s cause chain (undici wraps it in a `fetch failed`). */
export function refusalIn(error: unknown): DestinationRefusedError | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (isRefusal(e)) return e;
  }
  return undefined;
}

/** A refusal by the egress policy anywhere in the cause chain (a sink holds its queue on one). */
export const isDestinationRefused = (error: unknown): boolean => refusalIn(error) !== undefined;

/**
 * How plugin code (a sink, a hook, an action) reaches the network under the egress policy: the
 * platform hands one in its context. Refusals throw DestinationRefusedError.
 */
export interface Egress {
  /** fetch, checked at every connect after DNS (redirects included), connecting to the checked address. */
  fetch: typeof fetch;
  /** For other protocols: checks `host` and every address it resolves to; connect to the address returned, with `host` as TLS servername. */
  checkHost(host: string): Promise<{ address: string; family: number }>;
  /** Why a URL's destination is refused, or null: to check settings before any connect. */
  refuseUrl(url: string): Promise<string | null>;
}
