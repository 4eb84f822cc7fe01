import { and, count, eq, isNull } from 'drizzle-orm';
import { hashToken, newToken } from '../lib/crypto';
import type { Db } from './client';
import { apiTokens } from './schema';

/** admin may do everything; read may only read (every write route answers it 403). */
export const TOKEN_ROLES = ['admin', 'read'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

export const isTokenRole = (value: string): value is TokenRole => (TOKEN_ROLES as readonly string[]).includes(value);

/** Creates a token and returns its plain text, which is never stored and cannot be shown again. */
export async function createApiToken(db: Db, name: string, role: TokenRole = 'admin'): Promise<{ id: string; token: string }> {
  const token = newToken();
  const [row] = await db
    .insert(apiTokens)
    .values({ name, role, tokenHash: hashToken(token), prefix: token.slice(0, 7) })
    .returning({ id: apiTokens.id });
  if (!row) throw new Error('token insert returned nothing');
  return { id: row.id, token };
}

/** The token's id, name and role when it is valid and not revoked. */
export async function verifyApiToken(db: Db, token: string): Promise<{ id: string; name: string; role: TokenRole } | null> {
  const [row] = await db
    .select({ id: apiTokens.id, name: apiTokens.name, role: apiTokens.role })
    .from(apiTokens)
    .where(and(eq(apiTokens.tokenHash, hashToken(token)), isNull(apiTokens.revokedAt)));
  if (!row) return null;
  // The column's check constraint allows only these; anything else is treated as the least power.
  return { ...row, role: isTokenRole(row.role) ? row.role : 'read' };
}

export async function countApiTokens(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(apiTokens).where(isNull(apiTokens.revokedAt));
  return row?.n ?? 0;
}

export async function listApiTokens(db: Db) {
  return db
    .select({ id: apiTokens.id, name: apiTokens.name, role: apiTokens.role, prefix: apiTokens.prefix, createdAt: apiTokens.createdAt, revokedAt: apiTokens.revokedAt })
    .from(apiTokens)
    .orderBy(apiTokens.createdAt);
}

export async function revokeApiToken(db: Db, id: string): Promise<boolean> {
  const rows = await db.update(apiTokens).set({ revokedAt: new Date() }).where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt))).returning({ id: apiTokens.id });
  return rows.length > 0;
}

/** The token's name and role by id, when it exists and is not revoked (a session cookie carries the id, not the token). */
export async function findActiveApiToken(db: Db, id: string): Promise<{ id: string; name: string; role: TokenRole } | null> {
  const [row] = await db
    .select({ id: apiTokens.id, name: apiTokens.name, role: apiTokens.role })
    .from(apiTokens)
    .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)));
  if (!row) return null;
  return { ...row, role: isTokenRole(row.role) ? row.role : 'read' };
}
