import type { MiddlewareHandler } from 'hono';
import { verifyApiToken } from '../db/tokens';
import type { Db } from '../db/client';
import { ApiError } from './errors';

export interface AuthVariables {
  tokenName: string;
}

const PUBLIC = new Set(['/health', '/openapi.json', '/docs']);
/** A file link posted on a remote carries a signature instead of a token; the route checks it. */
const SIGNED_FILE = /^\/attachments\/[0-9a-f-]{36}\/content$/;

/** Every route but the public ones needs `Authorization: Bearer <token>`. */
export function bearerAuth(db: Db): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    if (PUBLIC.has(c.req.path)) return next();
    const header = c.req.header('authorization') ?? '';
    if (!header && c.req.method === 'GET' && SIGNED_FILE.test(c.req.path) && c.req.query('sig')) return next();
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const token = match?.[1];
    const found = token ? await verifyApiToken(db, token) : null;
    if (!found) {
      c.header('WWW-Authenticate', 'Bearer realm="trackbridge"');
      throw new ApiError(401, 'unauthorized', header ? 'Invalid or revoked token' : 'Missing bearer token');
    }
    c.set('tokenName', found.name);
    return next();
  };
}
