import { z } from 'zod';
import { httpConfigFields } from '../define';

export const configSchema = z.strictObject({
  baseUrl: z.url({ protocol: /^https?$/ }).default('https://api.github.com')
    .meta({ title: 'API URL', description: 'API root: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server' }),
  overlapSeconds: z.number().int().min(0).max(3600).default(5)
    .meta({ title: 'Pull overlap (seconds)', description: 'How far before the newest update seen the next pull starts again' }),
  ...httpConfigFields,
});

export const secretsSchema = z.strictObject({ token: z.string().min(1).meta({ title: 'Access token', description: 'Personal access token or app installation token' }) });

export type GitHubConfig = z.output<typeof configSchema>;
export type GitHubSecrets = z.output<typeof secretsSchema>;
