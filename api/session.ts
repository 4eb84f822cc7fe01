import { createHmac, randomBytes } from 'node:crypto';
import { sameText } from '../lib/crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Context } from 'hono';
import type { TokenRole } from '../db/tokens';
import type { ApiDeps } from './deps';
import { ApiError, ErrorBody } from './errors';
import { newRouter, security } from './router';
import { json } from './schemas';

/** The session cookie the console signs in with: `<payload>.<hmac>`, stateless, checked against the token table on every request. */
export const SESSION_COOKIE = 'tb_session';
/** Every write made with the session cookie carries this header (or the console form's `_csrf` field, which the console forwards here). */
export const CSRF_HEADER = 'x-csrf-token';
const DEFAULT_TTL_SECONDS = 8 * 3600;

export interface SessionClaims {
  tokenId: string;
  role: TokenRole;
  /** Unix seconds. */
  expiresAt: number;
}

/** Signs and reads session cookies under a key of their own, derived from the secret key. */
export function sessionCodec(deps: Pick<ApiDeps, 'secretBox'>) {
  const key = deps.secretBox.derive('console-session');
  const mac = (text: string) => createHmac('sha256', key).update(text).digest('base64url');
  return {
    issue(claims: SessionClaims): string {
      // A nonce, so two sessions of one token (and their CSRF tokens) differ even within the same second.
      const payload = Buffer.from(JSON.stringify({ t: claims.tokenId, r: claims.role, e: claims.expiresAt, n: randomBytes(12).toString('base64url') })).toString('base64url');
      return `${payload}.${mac(`session.${payload}`)}`;
    },
    /** The claims of an authentic, unexpired cookie, or null. */
    read(cookie: string, now = Date.now()): SessionClaims | null {
      const [payload, signature, ...rest] = cookie.split('.');
      if (!payload || !signature || rest.length || !sameText(mac(`session.${payload}`), signature)) return null;
      try {
        const { t, r, e } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { t?: unknown; r?: unknown; e?: unknown };
        if (typeof t !== 'string' || (r !== 'admin' && r !== 'read') || typeof e !== 'number' || e * 1000 <= now) return null;
        return { tokenId: t, role: r, expiresAt: e };
      } catch {
        return null;
      }
    },
    /** The synchronizer token of one session: bound to the cookie, so another session's (or an old one's) does not pass. */
    csrfToken: (cookie: string) => mac(`csrf.${cookie}`),
    csrfMatches: (cookie: string, given: string) => sameText(mac(`csrf.${cookie}`), given),
  };
}

export type SessionCodec = ReturnType<typeof sessionCodec>;

const Session = z
  .object({
    tokenName: z.string(),
    role: z.enum(['admin', 'read']),
    expiresAt: z.string(),
    csrfToken: z.string().openapi({ description: `Send it as the \`${CSRF_HEADER}\` header with every write made with the session cookie` }),
  })
  .openapi('Session');
export type SessionView = z.infer<typeof Session>;

/**
 * The console's sign-in: a bearer token is exchanged for a session cookie (HttpOnly, SameSite=Strict,
 * Secure outside development). `GET /session` tells the console who is signed in and the CSRF token.
 */
export function sessionRoutes(deps: ApiDeps) {
  const codec = sessionCodec(deps);
  const secure = deps.session?.secureCookie ?? true;
  const ttl = deps.session?.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  const describe = (c: Context, cookie: string, claims: SessionClaims, tokenName: string) => ({
    tokenName, role: claims.role, expiresAt: new Date(claims.expiresAt * 1000).toISOString(), csrfToken: codec.csrfToken(cookie),
  });
  return newRouter()
    .openapi(createRoute({
      method: 'post', path: '/', security, summary: 'Exchange the bearer token for a session cookie (the console signs in with it)',
      responses: { 201: json(Session, 'Signed in; the cookie is set'), 401: json(ErrorBody, 'Invalid or revoked token'), 400: json(ErrorBody, 'Already a session') },
    }), (c) => {
      if (c.get('viaSession')) throw new ApiError(400, 'invalid_request', 'Sign in with a bearer token, not a session', [{ path: 'authorization', message: 'expected Bearer <token>' }]);
      const claims: SessionClaims = { tokenId: c.get('tokenId'), role: c.get('tokenRole'), expiresAt: Math.floor(Date.now() / 1000) + ttl };
      const cookie = codec.issue(claims);
      setCookie(c, SESSION_COOKIE, cookie, { httpOnly: true, sameSite: 'Strict', secure, path: '/', maxAge: ttl });
      return c.json(describe(c, cookie, claims, c.get('tokenName')), 201);
    })
    .openapi(createRoute({
      method: 'get', path: '/', security, summary: 'The signed-in session: token name, role, expiry and its CSRF token',
      responses: { 200: json(Session, 'Session'), 401: json(ErrorBody, 'No valid session cookie') },
    }), (c) => {
      const cookie = getCookie(c, SESSION_COOKIE);
      const claims = cookie ? codec.read(cookie) : null;
      if (!cookie || !claims || !c.get('viaSession')) throw new ApiError(401, 'unauthorized', 'No session: sign in first');
      return c.json(describe(c, cookie, claims, c.get('tokenName')), 200);
    })
    .openapi(createRoute({
      method: 'delete', path: '/', security, summary: 'Sign out: clears the session cookie',
      responses: { 200: json(z.object({ signedOut: z.boolean() }), 'Signed out') },
    }), (c) => {
      deleteCookie(c, SESSION_COOKIE, { path: '/', secure, httpOnly: true, sameSite: 'Strict' });
      return c.json({ signedOut: true }, 200);
    });
}
