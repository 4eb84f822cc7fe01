import { z } from 'zod';
import { httpConfigFields } from '../define';

const LABEL_SPACES = 'Jira refuses spaces in labels. dash: "good first issue" is written as good-first-issue and read back as it was (the issue remembers it); underscore: the same with _; refuse: a dead letter naming the label.';
const labelSpaces = z.enum(['dash', 'underscore', 'refuse']);

export const configSchema = z.strictObject({
  baseUrl: z.url({ protocol: /^https?$/ }).meta({ title: 'Jira URL', description: 'Site root: https://your-site.atlassian.net (Cloud) or https://jira.example.com (Data Center)' }),
  deployment: z.enum(['cloud', 'datacenter']).meta({ title: 'Deployment', description: 'cloud: REST v3, email + API token; datacenter: REST v2, personal access token' }),
  issueType: z.string().min(1).default('Task').meta({ title: 'Issue type for new issues', description: 'Issue type of issues created from the hub' }),
  overlapSeconds: z.number().int().min(0).max(3600).default(60)
    .meta({ title: 'Pull overlap (seconds)', description: "How far before the newest update seen the next pull starts again; covers Jira's search index lag" }),
  labelSpaces: labelSpaces.default('dash')
    .meta({ title: 'Labels with spaces', description: `${LABEL_SPACES} A binding may set its own (rules options.labelSpaces).` }),
  notifyWatchers: z.boolean().default(false)
    .meta({ title: 'Email watchers on sync edits', description: "false: edits are sent with notifyUsers=false, which Jira allows only to project or Jira administrators; when refused, trackbridge edits without it and warns" }),
  searchLagSeconds: z.number().int().min(0).max(3600).default(120)
    .meta({ title: 'Search lag bound (seconds)', description: "The longest Jira's search index lags a write. Until a crashed create is this old, not finding it is not taken as proof it was never made (I1)" }),
  ...httpConfigFields,
});

const cloudSecrets = z.strictObject({
  email: z.email().meta({ title: 'Account email', description: 'Atlassian account email (Cloud)' }),
  apiToken: z.string().min(1).meta({ title: 'API token', description: 'API token from id.atlassian.com → Security → API tokens (Cloud)' }),
});
const dataCenterSecrets = z.strictObject({ personalAccessToken: z.string().min(1).meta({ title: 'Personal access token', description: 'Personal access token (Data Center: Profile → Personal Access Tokens)' }) });

export const secretsSchema = z.union([cloudSecrets, dataCenterSecrets]);

/** What one binding may set apart from its connection (rules `options`). */
export const bindingOptionsSchema = z.strictObject({
  labelSpaces: labelSpaces.optional().meta({ title: 'Labels with spaces', description: `${LABEL_SPACES} Omitted: the connection's setting.` }),
});

export type JiraConfig = z.output<typeof configSchema>;
export type JiraBindingOptions = z.output<typeof bindingOptionsSchema>;
export type JiraSecrets = z.output<typeof secretsSchema>;

/**
 * The credential must fit the deployment: Cloud takes HTTP basic with email and API token, Data
 * Center a bearer personal access token. Config and secrets are parsed apart, so this is checked
 * once both are known, with the fields named.
 */
export const connectionSchema = z.object({ deployment: configSchema.shape.deployment, secrets: secretsSchema }).superRefine(({ deployment, secrets }, ctx) => {
  if (deployment === 'cloud' && !('apiToken' in secrets)) {
    ctx.addIssue({ code: 'custom', path: ['secrets', 'apiToken'], message: 'Jira Cloud needs email and apiToken (HTTP basic); a personal access token is for Data Center' });
  }
  if (deployment === 'datacenter' && !('personalAccessToken' in secrets)) {
    ctx.addIssue({ code: 'custom', path: ['secrets', 'personalAccessToken'], message: 'Jira Data Center needs a personalAccessToken (bearer); email and API token are for Cloud' });
  }
});

export const authorization = (secrets: JiraSecrets): string =>
  ('apiToken' in secrets ? `Basic ${Buffer.from(`${secrets.email}:${secrets.apiToken}`).toString('base64')}` : `Bearer ${secrets.personalAccessToken}`);
