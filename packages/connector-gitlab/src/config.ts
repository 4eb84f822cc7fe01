import { httpConfigFields, z } from '@trackbridge/sdk';

export const configSchema = z.strictObject({
  baseUrl: z.url({ protocol: /^https?$/ }).default('https://gitlab.com')
    .describe('gitlab.com, or your self-managed instance\'s root URL, e.g. https://gitlab.example.com (the API is at /api/v4 under it)'),
  overlapSeconds: z.number().int().min(0).max(3600).default(2)
    .describe('How far before the newest update seen the next pull starts again'),
  pageSize: z.number().int().min(1).max(100).default(100).describe('Issues per listing page (GitLab allows at most 100)'),
  ...httpConfigFields,
});
export const secretsSchema = z.strictObject({
  token: z.string().min(1)
    .describe('A personal, group or project access token with the api scope (read_api for read-only bindings), sent as PRIVATE-TOKEN'),
});

/** What a binding may ask of this connector besides its field rules (the rules' `options` section). */
export const bindingOptions = z.strictObject({
  internalNotes: z.boolean().default(false)
    .describe('Pull internal notes as comments too (they are left out by default: an internal note seen in another tracker is no longer internal)'),
});

export type GitLabConfig = z.output<typeof configSchema>;
export type GitLabSecrets = z.output<typeof secretsSchema>;
export type GitLabOptions = z.output<typeof bindingOptions>;
