import type { ConnectorClient, ConnectorDefinition, ItemFields, Logger } from '@trackbridge/sdk';
import { connect as connectDefinition } from '../connectors/connect';
import { type FaultProxy, startFaultProxy } from './proxy';

/** What the kit needs from the author's test server: it seeds and edits items out of band. */
export interface ConformanceRemote {
  /** The server's base URL; the kit puts its proxy in front of it. Called once, before the first check. */
  url(): string | Promise<string>;
  /** Before each check: a fresh, empty scope (isolates the checks), or nothing to keep `options.scope`. */
  reset?(): Promise<string | void>;
  /** Creates `count` items in `scope` now, as another user would (stamped at the remote's now); returns their remote ids. */
  seed(scope: string, count: number): Promise<string[]>;
  /** Changes an item on the remote as another user would; its update time must move. */
  edit(scope: string, remoteId: string, patch: { title: string }): Promise<void>;
  /**
   * Returns once a change made on the remote would be stamped at or after `instant` (epoch ms).
   * Default: waits for this machine's clock (a remote on this machine). A double with its own clock
   * can move it instead.
   */
  waitUntil?(instant: number): Promise<void>;
}

/** What the connector promises, so the kit can hold it to it. */
export interface ConnectorTraits {
  /** Items per listing page: the kit seeds more than this to get two pages. */
  pageSize: number;
  /** The overlap the connection passed by `connect` is configured with. */
  overlapSeconds: number;
  /** Default: the definition's `conditionalRequests`. */
  conditionalRequests?: boolean;
  /**
   * How the kit tells a write request (to cut one mid-create): by default a POST, PUT or PATCH. A
   * GraphQL API sends reads as POSTs too: give the body its writes carry, e.g. `{ methods: ['POST'],
   * requestBody: /"query":"mutation\b/ }`.
   */
  writes?: { methods?: readonly string[]; requestBody?: RegExp };
}

export interface ConformanceOptions {
  definition: ConnectorDefinition;
  /** Config and secrets of a connection to `baseUrl` (the kit's proxy), or a connected client. */
  connect(baseUrl: string): { config: unknown; secrets: unknown } | ConnectorClient;
  /** The scope the checks work in, when `remote.reset` does not give a fresh one. */
  scope?: string;
  remote: ConformanceRemote;
  traits: ConnectorTraits;
  /** Valid field values for the items the kit creates (status, priority…); title and description are the kit's. */
  newItemFields?: Partial<ItemFields>;
}

/** A running kit: the proxy, and fresh clients pointed at it. */
export interface ConformanceEnv {
  readonly options: ConformanceOptions;
  readonly traits: Required<Omit<ConnectorTraits, 'writes'>> & Pick<ConnectorTraits, 'writes'>;
  readonly proxy: FaultProxy;
  /** A new client through the proxy, as a new activity (or a restarted worker) would get. */
  client(): ConnectorClient;
  /** The scope for one check (a fresh one when the remote can reset). */
  scope(): Promise<string>;
  /**
   * A scope seeded once with more than a page of items that no check changes: pagination and
   * resume share it, since seeding a page's worth is the slowest thing a real remote does here.
   */
  listingScope(): Promise<{ scope: string; seeded: string[] }>;
  /** Waits until the remote stamps changes at or after `instant`. */
  waitUntil(instant: number): Promise<void>;
  newItem(title: string, description: string): ItemFields;
  close(): Promise<void>;
}

// The kit reports through its checks' failures; the client's own log lines would only be noise here.
const ignore = () => undefined;
const logger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const isClient = (value: object): value is ConnectorClient => typeof (value as ConnectorClient).pull === 'function';

async function waitForLocalClock(instant: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < instant) {
    if (Date.now() > deadline) throw new Error(`waited 120 s for ${new Date(instant).toISOString()}`);
    await sleep(Math.min(50, instant - Date.now()));
  }
}

/** Starts the proxy in front of the author's server; `close()` when done. */
export async function startConformanceEnv(options: ConformanceOptions): Promise<ConformanceEnv> {
  const proxy = await startFaultProxy(await options.remote.url());
  const definition = options.definition;
  const traits = { conditionalRequests: definition.conditionalRequests, ...options.traits };
  let listing: Promise<{ scope: string; seeded: string[] }> | undefined;
  const scope = async () => {
    proxy.clearFaults();
    const fresh = await options.remote.reset?.();
    const found = fresh ?? options.scope;
    if (found === undefined) throw new Error('conformance kit: give options.scope, or a remote.reset() that returns one');
    return found;
  };
  return {
    options,
    traits,
    proxy,
    client() {
      const made = options.connect(proxy.url);
      return isClient(made) ? made : connectDefinition(definition, { ...made, logger });
    },
    scope,
    listingScope() {
      listing ??= scope().then(async (id) => ({ scope: id, seeded: await options.remote.seed(id, traits.pageSize + 5) }));
      // A failed seeding is not cached: the next check tries again and reports its own error.
      listing.catch(() => { listing = undefined; });
      return listing;
    },
    waitUntil: (instant) => (options.remote.waitUntil ?? waitForLocalClock)(instant),
    newItem: (title, description) => ({
      status: 'open', closed: false, priority: null, assignee: null, labels: [], customFields: {},
      ...options.newItemFields, title, description,
    }),
    close: () => proxy.close(),
  };
}
