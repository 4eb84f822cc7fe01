/**
 * What the connector reads of GitHub's REST answers (docs.github.com/rest, API version 2022-11-28), and
 * nothing more: every object is loose, so fields GitHub adds or we ignore pass through untouched (into
 * `raw`). A field we read that is missing or of another type fails at the edge, naming its path.
 */
import { z } from 'zod';

const account = z.looseObject({ login: z.string() });

export const issueShape = z.looseObject({
  number: z.number().int(),
  title: z.string(),
  body: z.string().nullish(),
  state: z.enum(['open', 'closed']),
  state_reason: z.string().nullish(),
  labels: z.array(z.union([z.string(), z.looseObject({ name: z.string().nullish() })])),
  assignee: account.nullish(),
  comments: z.number().int().nonnegative(),
  created_at: z.string(),
  updated_at: z.string(),
  html_url: z.string(),
  user: account.nullish(),
  pull_request: z.unknown().optional(),
});

export const commentShape = z.looseObject({
  id: z.number().int(),
  body: z.string().nullish(),
  user: account.nullish(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const repoShape = z.looseObject({ full_name: z.string(), name: z.string(), html_url: z.string(), owner: account });

export const userShape = account;
export const issueListShape = z.array(issueShape);
export const commentListShape = z.array(commentShape);
export const repoListShape = z.array(repoShape);
export const orgListShape = z.array(account);
export const searchShape = z.looseObject({ items: issueListShape });

/** An issue event (GET /repos/{owner}/{repo}/issues/{number}/events); only the kinds we read carry their payload. */
export const issueEventShape = z.looseObject({
  id: z.number().int(),
  event: z.string(),
  actor: account.nullish(),
  created_at: z.string(),
  rename: z.looseObject({ from: z.string(), to: z.string() }).optional(),
  label: z.looseObject({ name: z.string() }).optional(),
  assignee: account.nullish(),
});
export const issueEventListShape = z.array(issueEventShape);

/** A repository label (GET /repos/{owner}/{repo}/labels). */
export const labelListShape = z.array(z.looseObject({ id: z.number().int().optional(), name: z.string() }));
/** Users issues can be assigned to (GET /repos/{owner}/{repo}/assignees). */
export const assigneeListShape = z.array(z.looseObject({ login: z.string(), id: z.number().int().optional() }));
