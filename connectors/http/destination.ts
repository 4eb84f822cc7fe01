import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import type { Config } from '../../lib/config';
import { bare, type DestinationPolicy, refuseAddress, refuseLiteral } from './address-table';
import { DestinationRefusedError, type Egress, refusalIn } from './refusal';

export { embeddedIPv4, refuseAddress, type DestinationPolicy } from './address-table';
// The refusal lives apart from undici so the SDK can export it; the server's importers keep this path.
export { DestinationRefusedError, isDestinationRefused, type Egress } from './refusal';

/** Outside production: private and loopback destinations are fine (a local Redmine, the test doubles). */
export const openDestinations: DestinationPolicy = { restrictPrivate: false, allowed: [] };

export function destinationPolicy(config: Pick<Config, 'NODE_ENV' | 'TRACKBRIDGE_ALLOWED_HOSTS'>): DestinationPolicy {
  return { restrictPrivate: config.NODE_ENV === 'production', allowed: config.TRACKBRIDGE_ALLOWED_HOSTS ?? [] };
}

type Resolve = (host: string) => Promise<LookupAddress[]>;
const resolveAll: Resolve = (host) =>
  new Promise((resolve, reject) => dnsLookup(host, { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

/**
 * Why `hostname` is refused: literally, or by any address it resolves to within 3 s. A name that
 * does not resolve (yet) passes here: every connect checks again.
 */
async function refuseHost(policy: DestinationPolicy, hostname: string, resolve: Resolve): Promise<string | null> {
  const host = bare(hostname);
  const literal = refuseLiteral(policy, host);
  if (literal || isIP(host)) return literal;
  const addresses = await Promise.race([resolve(host), new Promise<null>((r) => setTimeout(r, 3000, null).unref())]).catch(() => null);
  return (addresses ?? []).map(({ address }) => refuseAddress(policy, address, host)).find(Boolean) ?? null;
}

const parseUrl = (text: string): URL | null => {
  try {
    return new URL(text);
  } catch {
    return null;
  }
};

const refusedText = (reason: string) => `refused by the egress policy: points at ${reason}`;

/**
 * Why a connection's `baseUrl` is refused, or null: credentials or a fragment in it, or a
 * destination the policy refuses.
 */
export async function refuseBaseUrl(policy: DestinationPolicy, baseUrl: string, resolve: Resolve = resolveAll): Promise<string | null> {
  const url = parseUrl(baseUrl);
  if (url && (url.username || url.password)) return 'must not contain credentials (user:password@); put them in secrets';
  // new URL() drops an empty fragment, so look at the text: a trailing # would pin the path requested.
  if (url && baseUrl.includes('#')) return 'must not contain a #fragment';
  return refuseDestinationUrl(policy, baseUrl, resolve);
}

/**
 * Why any other destination URL (a sink's webhook or broker URL) is refused, or null: where it
 * points only, since some carry their credentials (amqp://user:password@host).
 */
export async function refuseDestinationUrl(policy: DestinationPolicy, destination: string, resolve: Resolve = resolveAll): Promise<string | null> {
  const url = parseUrl(destination);
  if (!url) return 'not a URL';
  if (!url.hostname) return 'names no host';
  const refused = await refuseHost(policy, url.hostname, resolve);
  return refused && refusedText(refused);
}

/**
 * The address to connect to for `hostname`, for protocols other than HTTP (AMQP): the address
 * written, or the first one DNS gives once every one it gave passed. Connecting to it (with
 * `hostname` as the TLS servername) uses the answer that was checked: no DNS rebinding window.
 * Throws DestinationRefusedError.
 */
export async function checkedAddress(policy: DestinationPolicy, hostname: string): Promise<LookupAddress> {
  const host = bare(hostname);
  const literal = refuseLiteral(policy, host);
  if (literal) throw new DestinationRefusedError(literal);
  if (isIP(host)) return { address: host, family: isIP(host) };
  const addresses = await resolveAll(host);
  const refused = addresses.map(({ address }) => refuseAddress(policy, address, host)).find(Boolean);
  if (refused) throw new DestinationRefusedError(refused);
  const [first] = addresses;
  if (!first) throw Object.assign(new Error(`no address for ${host}`), { code: 'ENOTFOUND' });
  return first;
}

/** A dns.lookup that refuses every answer the policy refuses, for net/tls connects: the check and the connect use one answer. */
function guardedLookup(policy: DestinationPolicy) {
  return (hostname: string, options: LookupOptions, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const host = bare(hostname);
      const refused = addresses.map((a) => refuseAddress(policy, a.address, host)).find(Boolean);
      if (refused) return callback(Object.assign(new DestinationRefusedError(refused), { code: 'EDESTINATION' }), []);
      if (options.all) return callback(null, addresses);
      const [first] = addresses;
      return first ? callback(null, first.address, first.family) : callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
    });
  };
}

/**
 * undici's connector with the check at every connect: an address in the URL (which skips DNS, as
 * one a redirect names does) by refuseLiteral, a name by the guarded lookup.
 */
function guardedConnector(policy: DestinationPolicy): buildConnector.connector {
  const connectAfterLookup = buildConnector({ lookup: guardedLookup(policy) });
  return (options, callback) => {
    const literal = refuseLiteral(policy, options.hostname);
    if (literal) return callback(new DestinationRefusedError(literal), null);
    return connectAfterLookup(options, callback);
  };
}

const agents = new WeakMap<DestinationPolicy, Agent>();
const agentFor = (policy: DestinationPolicy) => {
  let agent = agents.get(policy);
  if (!agent) agents.set(policy, (agent = new Agent({ connect: guardedConnector(policy) })));
  return agent;
};

/**
 * fetch under the policy. Without `base`, requests go through an undici Agent whose connector
 * refuses forbidden addresses at connect time, a redirect's too. With an injected `base` (tests, the benchmark's
 * recording proxy) the name is resolved and checked just before the call.
 * Refusals are permanent errors: retrying cannot make the destination acceptable.
 */
export function guardedFetch(policy: DestinationPolicy = openDestinations, base?: typeof fetch): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const literal = refuseLiteral(policy, url.hostname);
    if (literal) throw new DestinationRefusedError(literal);
    if (base) {
      if (!isIP(bare(url.hostname))) {
        const host = bare(url.hostname);
        const addresses = await resolveAll(host).catch(() => []);
        const refused = addresses.map((a) => refuseAddress(policy, a.address, host)).find(Boolean);
        if (refused) throw new DestinationRefusedError(refused);
      }
      return base(input, init);
    }
    try {
      // undici's fetch with its own Agent (the global fetch takes no connect options); same Response contract.
      return (await undiciFetch(input as Parameters<typeof undiciFetch>[0], { ...(init as object), dispatcher: agentFor(policy) })) as unknown as Response;
    } catch (error) {
      throw refusalIn(error) ?? error;
    }
  };
}

/** refuseBaseUrl for a connector's parsed config, when it has a baseUrl (every built-in connector does). */
export async function refuseConnectionConfig(policy: DestinationPolicy | undefined, config: unknown): Promise<string | null> {
  const baseUrl = typeof config === 'object' && config !== null ? (config as { baseUrl?: unknown }).baseUrl : undefined;
  return typeof baseUrl === 'string' ? refuseBaseUrl(policy ?? openDestinations, baseUrl) : null;
}

export const egressFor = (policy: DestinationPolicy = openDestinations): Egress => ({
  fetch: guardedFetch(policy),
  checkHost: (host) => checkedAddress(policy, host),
  refuseUrl: (url) => refuseDestinationUrl(policy, url),
});
