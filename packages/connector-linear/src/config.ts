import { httpConfigFields, z } from '@trackbridge/sdk';

export const configSchema = z.strictObject({
  baseUrl: z.url({ protocol: /^https?$/ }).default('https://api.linear.app')
    .describe('The Linear API root (the GraphQL endpoint is /graphql under it)'),
  overlapSeconds: z.number().int().min(0).max(3600).default(2)
    .describe('How far before the newest update seen the next pull starts again'),
  pageSize: z.number().int().min(1).max(250).default(50).describe('Issues per page (Linear allows at most 250; a smaller page costs less complexity)'),
  ...httpConfigFields,
});
export const secretsSchema = z.strictObject({
  apiKey: z.string().min(1).describe('A Linear personal API key (Settings → Security & access), sent as Authorization'),
});

export type LinearConfig = z.output<typeof configSchema>;
export type LinearSecrets = z.output<typeof secretsSchema>;
