/** The egress policy's address table: which addresses, and which names without DNS, it refuses, and why. */
import { BlockList, isIP } from 'node:net';
import type { AllowedDestination } from '../../lib/config';

/**
 * The egress policy: where anything that leaves the process may go (a connection's requests and its
 * credential, webhook and AMQP sinks, plugin code through `Egress`). Checked when a destination is
 * stored or changed, and again on every connect after DNS resolution, with the connect pinned to the
 * checked address, so a name that later resolves elsewhere (DNS rebinding) is caught too:
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
local.addSubnet('64:ff9b:1::', 48, 'ipv6'); // local-use NAT64 (RFC 8215): where it embeds IPv4 is the operator's choice

const familyOf = (address: string) => (isIP(address) === 6 ? 'ipv6' : 'ipv4');

/** The eight 16-bit words of an address isIP() accepted as IPv6. */
function ipv6Words(address: string): number[] {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const words = (part: string) => (part ? part.split(':') : []);
  const zeros = tail === undefined ? [] : Array<string>(8 - words(head).length - words(tail).length).fill('0');
  return [...words(head), ...zeros, ...words(tail ?? '')].map((w) => parseInt(w, 16));
}

const dotted = (high: number, low: number) => `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;

/**
 * The IPv4 address an IPv6 one carries, where a host or a translator on the way delivers it to that
 * IPv4 address: IPv4-compatible (::a.b.c.d), IPv4-mapped (::ffff:a.b.c.d), SIIT (::ffff:0:a.b.c.d),
 * NAT64 (64:ff9b::/96) and 6to4 (2002:AABB:CCDD::/48). Null for any other.
 */
export function embeddedIPv4(address: string): string | null {
  if (isIP(address) !== 6) return null;
  const w = ipv6Words(address);
  const zero = (from: number, to: number) => w.slice(from, to).every((x) => x === 0);
  // :: and ::1 are IPv6's own unspecified and loopback addresses (both in `local`), not IPv4-compatible ones.
  if (zero(0, 5) && (w[5] === 0xffff || (w[5] === 0 && (w[6] !== 0 || w[7]! > 1)))) return dotted(w[6]!, w[7]!);
  if (zero(0, 4) && w[4] === 0xffff && w[5] === 0) return dotted(w[6]!, w[7]!);
  if (w[0] === 0x64 && w[1] === 0xff9b && zero(2, 6)) return dotted(w[6]!, w[7]!);
  if (w[0] === 0x2002) return dotted(w[1]!, w[2]!);
  return null;
}

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
 * Why `address` (reached as `host`) is refused, or null. An IPv6 address that embeds an IPv4 one
 * (embeddedIPv4) is judged as that IPv4 address too; an allowlist entry may name either.
 */
export function refuseAddress(policy: DestinationPolicy, address: string, host: string | null = null): string | null {
  const target = embeddedIPv4(address) ?? address;
  if (never.check(address, familyOf(address)) || never.check(target, familyOf(target))) return NEVER;
  const isLocal = local.check(address, familyOf(address)) || local.check(target, familyOf(target));
  if (policy.restrictPrivate && isLocal && !allowedBy(policy, host, address) && !allowedBy(policy, null, target)) return PRIVATE;
  return null;
}

export const bare = (hostname: string) => hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();

/** The check that needs no DNS: a metadata name, `localhost` and its subdomains (RFC 6761: loopback), or an address written in the URL. */
export function refuseLiteral(policy: DestinationPolicy, hostname: string): string | null {
  const host = bare(hostname);
  if (METADATA_HOSTS.has(host)) return NEVER;
  if (host === 'localhost' || host.endsWith('.localhost')) return refuseAddress(policy, '127.0.0.1', host);
  return isIP(host) ? refuseAddress(policy, host) : null;
}

