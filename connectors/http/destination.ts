import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';
import type { AllowedDestination, Config } from '../../lib/config';
import { PermanentError } from '../errors';

/**
 * Where a connection may send its requests (and its credential). Checked when a connection is
 * created, and again on every connect after DNS resolution, so a name that later resolves
 * elsewhere (DNS rebinding) is caught too:
 * - link-local, cloud metadata and multicast/reserved addresses: never;
 * - loopback, private, shared (CGNAT) and unspecified addresses: in production only when
 *   TRACKBRIDGE_ALLOWED_HOSTS names the host or a range holding the address;
 * - everything else: yes.
 * Refusals give the class of the address only, the same for every port, so that the answers
 * cannot be used to tell the services of a network apart.
 */
export interface DestinationPolicy {
  /** Refuse loopback and private addresses that the allowlist does not name (production). */
  restrictPrivate: boolean;
  allowed: readonly AllowedDestination[];
}

/** Outside production: private and loopback destinations are fine (a local Redmine, the test doubles). */
export const openDestinations: DestinationPolicy = { restrictPrivate: false, allowed: [] };

export function destinationPolicy(config: Pick<Config, 'NODE_ENV' | 'TRACKBRIDGE_ALLOWED_HOSTS'>): DestinationPolicy {
  return { restrictPrivate: config.NODE_ENV === 'production', allowed: config.TRACKBRIDGE_ALLOWED_HOSTS ?? [] };
}

export class DestinationRefusedError extends PermanentError {
  constructor(readonly reason: string) {
    super(`Destination refused: ${reason}`);
    this.name = 'DestinationRefusedError';
  }
}

const NEVER = 'a link-local or cloud metadata address, which is never allowed';
const PRIVATE = 'a private or loopback address; allow it with TRACKBRIDGE_ALLOWED_HOSTS';

/** Names of metadata services (GCP, Azure, AWS, Alibaba, OpenStack) that must not be reached by name either. */
const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal', 'metadata.azure.com', 'metadata.packet.net']);

const never = new BlockList();
never.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local, 169.254.169.254 (AWS, GCP, Azure, OpenStack), 169.254.170.2 (ECS)
never.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud metadata
never.addAddress('192.0.0.192', 'ipv4'); // Oracle Cloud metadata
never.addSubnet('224.0.0.0', 3, 'ipv4'); // multicast, reserved, broadcast
never.addSubnet('fe80::', 10, 'ipv6');
never.addAddress('fd00:ec2::254', 'ipv6'); // AWS metadata over IPv6
never.addSubnet('ff00::', 8, 'ipv6');

const local = new BlockList();
for (const [net, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['198.18.0.0', 15]] as const) {
  local.addSubnet(net, prefix, 'ipv4');
}
local.addAddress('::', 'ipv6');
local.addAddress('::1', 'ipv6');
local.addSubnet('fc00::', 7, 'ipv6');

const familyOf = (address: string) => (isIP(address) === 6 ? 'ipv6' : 'ipv4');

function allowedBy(policy: DestinationPolicy, host: string | null, address: string | null): boolean {
  return policy.allowed.some((entry) => {
    if (entry.kind === 'host') return host !== null && entry.host === host;
    if (address === null) return false;
    const list = new BlockList();
    list.addSubnet(entry.address, entry.prefix, entry.family);
    return list.check(address, familyOf(address));
  });
}

/**
 * Why `address` (reached as `host`) is refused, or null. IPv4-mapped IPv6 addresses are matched
 * as their IPv4 address (BlockList does so).
 */
export function refuseAddress(policy: DestinationPolicy, address: string, host: string | null = null): string | null {
  const family = familyOf(address);
  if (never.check(address, family)) return NEVER;
  if (policy.restrictPrivate && local.check(address, family) && !allowedBy(policy, host, address)) return PRIVATE;
  return null;
}

const bare = (hostname: string) => hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();

/** The check that needs no DNS: a metadata name, or an address written in the URL. */
function refuseLiteral(policy: DestinationPolicy, hostname: string): string | null {
  const host = bare(hostname);
  if (METADATA_HOSTS.has(host)) return NEVER;
  return isIP(host) ? refuseAddress(policy, host) : null;
}

type Resolve = (host: string) => Promise<LookupAddress[]>;
const resolveAll: Resolve = (host) =>
  new Promise((resolve, reject) => dnsLookup(host, { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

/**
 * Why a connection's `baseUrl` is refused, or null: credentials or a fragment in it, or a
 * destination the policy refuses. A name that does not resolve (yet) is accepted here: every
 * connect checks again.
 */
export async function refuseBaseUrl(policy: DestinationPolicy, baseUrl: string, resolve: Resolve = resolveAll): Promise<string | null> {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return 'not a URL';
  }
  if (url.username || url.password) return 'must not contain credentials (user:password@); put them in secrets';
  // new URL() drops an empty fragment, so look at the text: a trailing # would pin the path requested.
  if (baseUrl.includes('#')) return 'must not contain a #fragment';
  const literal = refuseLiteral(policy, url.hostname);
  if (literal || isIP(bare(url.hostname))) return literal && `points at ${literal}`;
  const host = bare(url.hostname);
  const addresses = await Promise.race([resolve(host), new Promise<null>((r) => setTimeout(r, 3000, null).unref())]).catch(() => null);
  for (const { address } of addresses ?? []) {
    const refused = refuseAddress(policy, address, host);
    if (refused) return `points at ${refused}`;
  }
  return null;
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

const agents = new WeakMap<DestinationPolicy, Agent>();
const agentFor = (policy: DestinationPolicy) => {
  let agent = agents.get(policy);
  if (!agent) agents.set(policy, (agent = new Agent({ connect: { lookup: guardedLookup(policy) } })));
  return agent;
};

function refusalIn(error: unknown): DestinationRefusedError | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof DestinationRefusedError) return e;
  }
  return undefined;
}

/**
 * fetch under the policy. Without `base`, requests go through an undici Agent whose lookup
 * refuses forbidden addresses at connect time. With an injected `base` (tests, the benchmark's
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
