import type { MiddlewareHandler } from 'hono';
import { type TokenRole, verifyApiToken } from '../db/tokens';
import type { Db } from '../db/client';
import { ApiError } from './errors';

export interface AuthVariables {
  tokenId: string;
  tokenName: string;
  tokenRole: TokenRole;
}

/** Methods that only read. Every other one (POST, PUT, PATCH, DELETE, and any we do not know) is a write. */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** `/metrics` checks its own token (METRICS_TOKEN), never an API token. */
const PUBLIC = new Set(['/health', '/openapi.json', '/docs', '/metrics']);
/** A file link posted on a remote carries a signature instead of a token; the route checks it. */
const SIGNED_FILE = /^\/attachments\/[0-9a-f-]{36}\/content$/;
/** Remotes' webhooks carry an HMAC signature under the connection's webhook secret instead; the route checks it. */
const SIGNED_WEBHOOK = /^\/webhooks\//;

/**
 * Every route but the public ones needs `Authorization: Bearer <token>`, and every write needs an
 * admin token. Deciding by method here, before any route runs, covers routes added later too.
 */
export function bearerAuth(db: Db): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    if (PUBLIC.has(c.req.path)) return next();
    if (c.req.method === 'POST' && SIGNED_WEBHOOK.test(c.req.path)) return next();
    const header = c.req.header('authorization') ?? '';
    if (!header && c.req.method === 'GET' && SIGNED_FILE.test(c.req.path) && c.req.query('sig')) return next();
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const token = match?.[1];
    const found = token ? await verifyApiToken(db, token) : null;
    if (!found) {
      c.header('WWW-Authenticate', 'Bearer realm="trackbridge"');
      throw new ApiError(401, 'unauthorized', header ? 'Invalid or revoked token' : 'Missing bearer token');
    }
    if (found.role !== 'admin' && !READ_METHODS.has(c.req.method)) {
      throw new ApiError(403, 'forbidden', `This token (${found.name}) is read-only; writes need an admin token`);
    }
    c.set('tokenId', found.id);
    c.set('tokenName', found.name);
    c.set('tokenRole', found.role);
    return next();
  };
}
