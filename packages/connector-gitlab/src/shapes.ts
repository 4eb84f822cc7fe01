/** What the connector reads of GitLab's answers (REST v4), checked with zod; fields it does not read pass through. */
import { z } from '@trackbridge/sdk';

export const userShape = z.looseObject({ id: z.number().int(), username: z.string(), name: z.string().optional() });
export type GitLabUser = z.output<typeof userShape>;

export const milestoneShape = z.looseObject({ id: z.number().int(), title: z.string(), state: z.string().optional() });
export type GitLabMilestone = z.output<typeof milestoneShape>;

export const issueShape = z.looseObject({
  id: z.number().int(),
  iid: z.number().int(),
  project_id: z.number().int(),
  title: z.string(),
  description: z.string().nullable(),
  state: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  labels: z.array(z.string()),
  assignees: z.array(userShape).default([]),
  milestone: milestoneShape.nullable(),
  /** Premium and up; absent or null on Free. */
  weight: z.number().int().nullable().optional(),
  user_notes_count: z.number().int().optional(),
  web_url: z.string(),
  references: z.looseObject({ full: z.string() }).optional(),
});
export type GitLabIssue = z.output<typeof issueShape>;

export const noteShape = z.looseObject({
  id: z.number().int(),
  body: z.string(),
  author: userShape,
  created_at: z.string(),
  updated_at: z.string(),
  /** Generated notes ("changed the description", "added ~bug label"): never conversation. */
  system: z.boolean(),
  /** Internal notes are seen only by project members with at least the Planner or Reporter role. */
  internal: z.boolean().optional(),
});
export type GitLabNote = z.output<typeof noteShape>;

export const projectShape = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  path_with_namespace: z.string(),
  web_url: z.string(),
  namespace: z.looseObject({ full_path: z.string(), name: z.string().optional() }).optional(),
});
export type GitLabProject = z.output<typeof projectShape>;

export const labelShape = z.looseObject({ id: z.number().int(), name: z.string() });
export const memberShape = z.looseObject({ id: z.number().int(), username: z.string(), name: z.string().optional(), state: z.string().optional() });
