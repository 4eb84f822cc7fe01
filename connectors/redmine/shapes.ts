/**
 * What the connector reads of Redmine's REST answers (www.redmine.org/projects/redmine/wiki/Rest_api),
 * and nothing more: every object is loose, so the rest passes through untouched (into `raw`). A field
 * we read that is missing or of another type fails at the edge, naming its path.
 */
import { z } from 'zod';

export const namedRef = z.looseObject({ id: z.number().int(), name: z.string() });

export const customValueShape = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  multiple: z.boolean().optional(),
  value: z.union([z.string(), z.array(z.string()), z.null()]).optional().transform((v) => v ?? null),
});

/** One change a journal records: `attr` (subject, status_id…), `cf` (a custom field by id), `attachment`… */
export const journalDetailShape = z.looseObject({
  property: z.string(),
  name: z.string(),
  old_value: z.string().nullish(),
  new_value: z.string().nullish(),
});

export const journalShape = z.looseObject({
  id: z.number().int(),
  user: namedRef.optional(),
  notes: z.string().nullish().transform((v) => v ?? null),
  created_on: z.string(),
  private_notes: z.boolean().optional(),
  details: z.array(journalDetailShape).optional(),
});

export const attachmentShape = z.looseObject({
  id: z.number().int(),
  filename: z.string(),
  filesize: z.number().int().nonnegative(),
  content_type: z.string().nullish(),
  author: namedRef.optional(),
  created_on: z.string(),
});

export const issueShape = z.looseObject({
  id: z.number().int(),
  status: namedRef.extend({ is_closed: z.boolean().optional() }),
  priority: namedRef.optional(),
  assigned_to: namedRef.optional(),
  subject: z.string(),
  description: z.string().nullish().transform((v) => v ?? null),
  custom_fields: z.array(customValueShape).optional(),
  created_on: z.string(),
  updated_on: z.string(),
  journals: z.array(journalShape).optional(),
  attachments: z.array(attachmentShape).optional(),
});

export const issueListShape = z.looseObject({ issues: z.array(issueShape), total_count: z.number().int().nonnegative(), offset: z.number().optional(), limit: z.number().optional() });
export const oneIssueShape = z.looseObject({ issue: issueShape });
export const statusShape = namedRef.extend({ is_closed: z.boolean().optional().transform((v) => v ?? false) });
export const projectShape = z.looseObject({ id: z.number().int(), name: z.string(), identifier: z.string(), parent: namedRef.optional() });
export const membershipShape = z.looseObject({ user: namedRef.optional(), group: namedRef.optional() });
export const currentUserShape = z.looseObject({ user: z.looseObject({ id: z.number().int(), login: z.string() }) });
