import { and, count, eq, isNull } from 'drizzle-orm';
import { hashToken, newToken } from '../lib/crypto';
import type { Db } from './client';
import { apiTokens } from './schema';

/** Creates a token and returns its plain text, which is never stored and cannot be shown again. */
export async function createApiToken(db: Db, name: string): Promise<{ id: string; token: string }> {
  const token = newToken();
  const [row] = await db
    .insert(apiTokens)
    .values({ name, tokenHash: hashToken(token), prefix: token.slice(0, 7) })
    .returning({ id: apiTokens.id });
  if (!row) throw new Error('token insert returned nothing');
  return { id: row.id, token };
}

/** The token's id and name when it is valid and not revoked. */
export async function verifyApiToken(db: Db, token: string): Promise<{ id: string; name: string } | null> {
  const [row] = await db
    .select({ id: apiTokens.id, name: apiTokens.name })
    .from(apiTokens)
    .where(and(eq(apiTokens.tokenHash, hashToken(token)), isNull(apiTokens.revokedAt)));
  return row ?? null;
}

export async function countApiTokens(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(apiTokens).where(isNull(apiTokens.revokedAt));
  return row?.n ?? 0;
}

export async function listApiTokens(db: Db) {
  return db
    .select({ id: apiTokens.id, name: apiTokens.name, prefix: apiTokens.prefix, createdAt: apiTokens.createdAt, revokedAt: apiTokens.revokedAt })
    .from(apiTokens)
    .orderBy(apiTokens.createdAt);
}

export async function revokeApiToken(db: Db, id: string): Promise<boolean> {
  const rows = await db.update(apiTokens).set({ revokedAt: new Date() }).where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt))).returning({ id: apiTokens.id });
  return rows.length > 0;
}
