import { BlockList, isIP } from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { AddressRange } from '../lib/config';

/** Who sent a request, as the limits count it: an address, or `unknown` when there is no socket (app.request()). */
export type ClientAddressOf = (c: Context) => string;

const family = (address: string) => (isIP(address) === 6 ? 'ipv6' : 'ipv4');
/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) is 10.0.0.1; `[::1]` is ::1. */
const plain = (address: string) => address.trim().replace(/^\[(.*)\]$/, '$1').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');

/**
 * The client's address: the socket's peer, unless that peer is one of `trustedProxies` (TRUSTED_PROXIES).
 * Then X-Forwarded-For is read from the right, where each trusted proxy appended the peer it saw; the
 * first address that is not a trusted proxy is the client. Whatever lies left of it the client wrote
 * itself, so it is never believed, and without trusted proxies the header is ignored altogether.
 */
export function clientAddressOf(trustedProxies: readonly AddressRange[] = []): ClientAddressOf {
  const proxies = new BlockList();
  for (const p of trustedProxies) proxies.addSubnet(p.address, p.prefix, p.family);
  const trusted = (address: string) => isIP(address) !== 0 && proxies.check(address, family(address));
  return (c) => {
    let address: string | undefined;
    try {
      address = getConnInfo(c).remote.address;
    } catch {
      return 'unknown'; // app.request() in tests has no socket
    }
    if (!address) return 'unknown';
    address = plain(address);
    if (!trustedProxies.length || !trusted(address)) return address;
    const hops = (c.req.header('x-forwarded-for') ?? '').split(',').map(plain).filter(Boolean);
    for (const hop of hops.reverse()) {
      if (!isIP(hop)) break; // not what a proxy appends: the client wrote it
      if (!trusted(hop)) return hop;
      address = hop;
    }
    return address;
  };
}
