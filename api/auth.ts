import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { type TokenRole, findActiveApiToken, verifyApiToken } from '../db/tokens';
import type { AuthVariables } from './router';
import type { Db } from '../db/client';
import type { SecretBox } from '../lib/crypto';
import type { AuthFailureLimit } from './auth-failures';
import { ApiError } from './errors';
import { CSRF_HEADER, SESSION_COOKIE, sessionCodec } from './session';

export type { AuthVariables };

/** Methods that only read. Every other one (POST, PUT, PATCH, DELETE, and any we do not know) is a write. */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** `/metrics` checks its own token (METRICS_TOKEN), never an API token. */
const PUBLIC = new Set(['/health', '/openapi.json', '/docs', '/metrics']);
/** A file link posted on a remote carries a signature instead of a token; the route checks it. */
const SIGNED_FILE = /^\/attachments\/[0-9a-f-]{36}\/content$/;
/** Remotes' webhooks carry an HMAC signature under the connection's webhook secret instead; the route checks it. */
const SIGNED_WEBHOOK = /^\/webhooks\//;
/** Signing in and out is no change to the hub: a read-only token may do both. */
const SESSION_PATH = '/session';

type Found = { id: string; name: string; role: TokenRole };

/**
 * Every route but the public ones needs `Authorization: Bearer <token>` or the console's session
 * cookie, and every write needs an admin token. Deciding by method here, before any route runs,
 * covers routes added later too. A write made with the cookie also needs the session's CSRF token
 * and, when the browser names an Origin, this server's own: a page of another site can make the
 * browser send the cookie, never read the token. A bearer token from an address that failed too
 * often is answered 429 before the database is asked (`failures`).
 */
export function bearerAuth(db: Db, secretBox: SecretBox, failures: AuthFailureLimit): MiddlewareHandler<{ Variables: AuthVariables }> {
  const sessions = sessionCodec({ secretBox });
  const fromCookie = async (cookie: string, c: Parameters<MiddlewareHandler>[0]): Promise<Found> => {
    const claims = sessions.read(cookie);
    const found = claims ? await findActiveApiToken(db, claims.tokenId) : null;
    if (!found) {
      failures.refused(c, 'bad_session');
      throw new ApiError(401, 'unauthorized', 'Session expired, invalid or its token revoked: sign in again');
    }
    if (!READ_METHODS.has(c.req.method)) {
      const origin = c.req.header('origin');
      if (origin && origin !== new URL(c.req.url).origin) throw new ApiError(403, 'csrf', 'Cross-site request refused (Origin)');
      if (!sessions.csrfMatches(cookie, c.req.header(CSRF_HEADER) ?? '')) {
        throw new ApiError(403, 'csrf', `A write with the session cookie needs the session's CSRF token in ${CSRF_HEADER}`);
      }
    }
    return found;
  };
  return async (c, next) => {
    if (PUBLIC.has(c.req.path)) return next();
    if (c.req.method === 'POST' && SIGNED_WEBHOOK.test(c.req.path)) return next();
    const header = c.req.header('authorization') ?? '';
    if (!header && c.req.method === 'GET' && SIGNED_FILE.test(c.req.path) && c.req.query('sig')) return next();
    const cookie = header ? undefined : getCookie(c, SESSION_COOKIE);
    let found: Found | null;
    if (cookie) {
      found = await fromCookie(cookie, c);
    } else if (header) {
      failures.check(c);
      const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
      found = token ? await verifyApiToken(db, token) : null;
    } else {
      found = null;
    }
    if (!found) {
      failures.refused(c, header ? 'bad_token' : 'missing');
      c.header('WWW-Authenticate', 'Bearer realm="trackbridge"');
      throw new ApiError(401, 'unauthorized', header ? 'Invalid or revoked token' : 'Missing bearer token');
    }
    if (found.role !== 'admin' && !READ_METHODS.has(c.req.method) && c.req.path !== SESSION_PATH) {
      throw new ApiError(403, 'forbidden', `This token (${found.name}) is read-only; writes need an admin token`);
    }
    c.set('tokenId', found.id);
    c.set('tokenName', found.name);
    c.set('tokenRole', found.role);
    c.set('viaSession', Boolean(cookie));
    return next();
  };
}
