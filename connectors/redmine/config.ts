import { z } from 'zod';
import { REDMINE_TEXT_FORMATS } from '../../markup';
import { httpConfigFields } from '../define';

export const configSchema = z.strictObject({
  baseUrl: z.url({ protocol: /^https?$/ }).meta({ title: 'Redmine URL', description: 'Root URL of the Redmine instance, e.g. https://redmine.example.com' }),
  overlapSeconds: z.number().int().min(0).max(3600).default(5)
    .meta({ title: 'Pull overlap (seconds)', description: 'How far before the newest update seen the next pull starts again' }),
  trackerName: z.string().min(1).optional().meta({ title: 'Tracker for new issues', description: "Tracker of created issues; the project's default when absent" }),
  // Redmine's REST API does not show the instance's text formatting (an administrator's setting), so it is said here.
  textFormatting: z.enum(REDMINE_TEXT_FORMATS).default('textile')
    .meta({ title: 'Text formatting', description: "The instance's text formatting (Administration → Settings → General): descriptions and notes are converted between it and the hub's markdown" }),
  ...httpConfigFields,
});

export const secretsSchema = z.strictObject({ apiKey: z.string().min(1).meta({ title: 'API key', description: 'API key (My account → API access key)' }) });

export type RedmineConfig = z.output<typeof configSchema>;
export type RedmineSecrets = z.output<typeof secretsSchema>;
