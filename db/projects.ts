import { and, count, desc, eq, isNull, ne } from 'drizzle-orm';
import { withTx, type Db } from './client';
import { bindings, projects, sinks, stories } from './schema';

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

/** The ids of the project's live (not deleted) bindings, oldest first. */
async function liveBindings(db: Db, projectId: string): Promise<string[]> {
  const rows = await db.select({ id: bindings.id }).from(bindings)
    .where(and(eq(bindings.projectId, projectId), ne(bindings.state, 'deleted'))).orderBy(bindings.createdAt);
  return rows.map((r) => r.id);
}

export type UpdateProjectResult = { project: Project } | { keyInUseBy: string[] } | undefined;

/**
 * Renames a project, or changes its key while no live binding uses it: the key is part of the story
 * keys rules write to remotes (`WEB-1a2b3c4d`), which bound remotes may already hold. Undefined when
 * there is no such project. A taken key is the unique index's answer.
 */
export async function updateProject(db: Db, id: string, change: { key?: string | undefined; name?: string | undefined }): Promise<UpdateProjectResult> {
  return withTx(db, async (tx) => {
    const [row] = await tx.select().from(projects).where(eq(projects.id, id)).for('update');
    if (!row) return undefined;
    if (change.key !== undefined && change.key !== row.key) {
      const used = await liveBindings(tx, id);
      if (used.length > 0) return { keyInUseBy: used };
    }
    const [updated] = await tx.update(projects).set({ ...change, updatedAt: new Date() }).where(eq(projects.id, id)).returning();
    if (!updated) throw new Error('project update returned nothing');
    return { project: updated };
  });
}

export type DeleteProjectResult =
  | { deleted: true; stories: number }
  | { deleted: false; bindings: string[]; sinks: string[]; stories: number }
  | undefined;

/**
 * Deletes a project with everything in it (stories, comments, files, deleted bindings' history), but
 * only when nothing still syncs it (no live binding, no project sink) and, unless `withStories`, when
 * it holds no stories. Undefined when there is no such project.
 */
export async function deleteProject(db: Db, id: string, withStories: boolean): Promise<DeleteProjectResult> {
  return withTx(db, async (tx) => {
    const [row] = await tx.select({ id: projects.id }).from(projects).where(eq(projects.id, id)).for('update');
    if (!row) return undefined;
    const used = await liveBindings(tx, id);
    const projectSinks = (await tx.select({ id: sinks.id }).from(sinks).where(eq(sinks.projectId, id)).orderBy(sinks.createdAt)).map((s) => s.id);
    const [counted] = await tx.select({ n: count() }).from(stories).where(and(eq(stories.projectId, id), isNull(stories.deletedAt)));
    const storyCount = counted?.n ?? 0;
    if (used.length > 0 || projectSinks.length > 0 || (storyCount > 0 && !withStories)) {
      return { deleted: false, bindings: used, sinks: projectSinks, stories: storyCount };
    }
    await tx.delete(projects).where(eq(projects.id, id));
    return { deleted: true, stories: storyCount };
  });
}
