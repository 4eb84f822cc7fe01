import { desc, eq } from 'drizzle-orm';
import type { Db } from './client';
import { projects } from './schema';

export type Project = typeof projects.$inferSelect;

export async function insertProject(db: Db, values: { key: string; name: string }): Promise<Project> {
  const [row] = await db.insert(projects).values(values).returning();
  if (!row) throw new Error('project insert returned nothing');
  return row;
}

export async function getProject(db: Db, id: string): Promise<Project | undefined> {
  const [row] = await db.select().from(projects).where(eq(projects.id, id));
  return row;
}

export async function listProjects(db: Db): Promise<Project[]> {
  return db.select().from(projects).orderBy(desc(projects.createdAt));
}
