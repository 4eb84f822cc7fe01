import { z } from 'zod';
import { RULE_FIELDS } from '../connectors/fields';

/** Connector fields a rule can both read and write (ItemFields names; `customFields.<Name>` is one Redmine custom field). */
export const CONNECTOR_FIELDS = RULE_FIELDS;

/** Hub pseudo-fields that can only be written to a remote: the story id and its human key (PROJECT-abcd1234). */
export const HUB_READ_ONLY = ['id', 'key'] as const;

const CUSTOM_FIELD = /^customFields\.(.+)$/;

export const isConnectorField = (ref: string): boolean => (CONNECTOR_FIELDS as readonly string[]).includes(ref) || CUSTOM_FIELD.test(ref);
export const customFieldName = (ref: string): string | undefined => CUSTOM_FIELD.exec(ref)?.[1];

const HubField = z
  .string()
  .refine((f) => isConnectorField(f) || (HUB_READ_ONLY as readonly string[]).includes(f), {
    message: `a hub field: ${[...CONNECTOR_FIELDS, ...HUB_READ_ONLY].join(', ')} or customFields.<Name>`,
  });

/** A connector field (readable and writable), a dotted path ("status.name") or a JSON Pointer ("/custom_fields/3/value") into the remote JSON (read only). */
const RemoteRef = z.string().min(1).max(300).refine((r) => !r.startsWith('/') || /^(\/[^/]*)+$/.test(r), { message: 'an invalid JSON Pointer' });

const Scalar = z.union([z.string(), z.null()]);
const FieldValue = z.union([z.string(), z.null(), z.array(z.string())]);

export const FieldRule = z
  .strictObject({
    hub: HubField.describe(`The hub field: ${[...CONNECTOR_FIELDS, ...HUB_READ_ONLY].join(', ')} or customFields.<Name>`),
    remote: RemoteRef.describe('A connector field (as hub), a dotted path ("status.name") or a JSON Pointer ("/custom_fields/3/value") into the remote JSON (paths are read only)'),
    kind: z.enum(['one_way', 'default', 'to_remote', 'two_way'])
      .describe('one_way: remote → hub. default: remote → hub while the hub value is unset. to_remote: hub → remote. two_way: three-way against the last-synced snapshot'),
    /** two_way only: who wins when both sides changed since the last sync. */
    policy: z.enum(['remote_wins', 'hub_wins', 'newest_wins']).optional()
      .describe('two_way only: who wins when both sides changed since the last sync (default remote_wins)'),
    /** default only: the hub value when the remote is empty. */
    default: FieldValue.optional().describe('default only: the hub value when the remote is empty'),
    /** Value map (status, priority, assignee, labels element-wise); the first matching pair wins in each direction. */
    map: z.array(z.strictObject({ hub: z.string(), remote: z.string() })).max(500).optional()
      .describe('Value map (status, priority, assignee, labels element-wise); the first matching pair wins in each direction'),
    /** remote `labels` only: the one remote label starting with this prefix carries the value ("severity: High" → "High"). */
    prefix: z.string().min(1).max(100).optional()
      .describe('With remote "labels": the remote label starting with this prefix carries the hub value ("severity: " reads "severity: High" as "High" and writes "High" as that label); the labels rule then leaves such labels alone'),
    /** Used when the map has no entry; without one, an unmapped value is not written and is reported. */
    fallback: z.strictObject({ hub: Scalar.optional(), remote: Scalar.optional() }).optional()
      .describe("Used when the map has no entry; without one, an unmapped value is not written and is reported in the binding's warnings"),
  })
  .superRefine((rule, ctx) => {
    const writes = rule.kind === 'two_way' || rule.kind === 'to_remote';
    if (writes && !isConnectorField(rule.remote)) {
      ctx.addIssue({ code: 'custom', path: ['remote'], message: `${rule.kind} writes the remote, so it needs a connector field (${CONNECTOR_FIELDS.join(', ')} or customFields.<Name>), not a path` });
    }
    if (rule.kind !== 'to_remote' && (HUB_READ_ONLY as readonly string[]).includes(rule.hub)) {
      ctx.addIssue({ code: 'custom', path: ['hub'], message: `${rule.hub} is read only: use it with kind to_remote` });
    }
    if (rule.policy !== undefined && rule.kind !== 'two_way') ctx.addIssue({ code: 'custom', path: ['policy'], message: 'policy applies to two_way rules only' });
    if (rule.default !== undefined && rule.kind !== 'default') ctx.addIssue({ code: 'custom', path: ['default'], message: 'default applies to default rules only' });
    if (rule.prefix !== undefined && rule.remote !== 'labels') ctx.addIssue({ code: 'custom', path: ['prefix'], message: 'prefix applies to rules whose remote is labels' });
    if (rule.prefix !== undefined && (rule.hub === 'labels' || rule.hub === 'customFields')) {
      ctx.addIssue({ code: 'custom', path: ['hub'], message: 'a prefix rule carries one value: its hub field is a single field, not labels or the whole customFields map' });
    }
  });

export const MessageRule = z.strictObject({
  direction: z.enum(['both', 'to_hub', 'to_remote', 'none']).default('both').describe('Which way comments flow'),
  /** When set, only hub comments containing this tag go to the remote. */
  tag: z.string().min(1).max(100).optional().describe('When set, only hub comments containing this tag go to the remote'),
  /** Remove the tag from the body that is sent. */
  stripTag: z.boolean().default(false).describe('Remove the tag from the body that is sent'),
  /** Edits of remote comments update their hub copies. */
  edits: z.boolean().default(true).describe('Edits of remote comments update their hub copies'),
});

export const MessageFromField = z.strictObject({
  remote: RemoteRef.describe('The remote field whose changes become hub comments'),
  headline: z.string().min(1).max(200).describe('The first line of each such comment, e.g. "Analysis:"'),
});

export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

/** Attachments: remote files come into the hub; hub files whose name starts with `prefix` go out. Off unless set. */
export const FilesRule = z.strictObject({
  direction: z.enum(['both', 'to_hub', 'to_remote', 'none']).default('both').describe('Which way files flow'),
  /** Only hub files whose name starts with this go to the remote (all of them when unset). */
  prefix: z.string().min(1).max(100).optional().describe('Only hub files whose name starts with this prefix go to the remote (all of them when unset)'),
  /** Larger files are left where they are and reported in the binding's warnings. */
  maxBytes: z.number().int().min(1).max(MAX_ATTACHMENT_BYTES).default(MAX_ATTACHMENT_BYTES)
    .describe("Larger files are left where they are and reported in the binding's warnings"),
});

export const RuleSetSchema = z.strictObject({
  /** Field rules; omitted → the connector's defaults. */
  fields: z.array(FieldRule).max(100).optional().describe("Field rules, one per hub field; omitted → the connector's defaults (title, description, status, labels, assignee… two_way)"),
  messages: MessageRule.optional().describe('Comments; omitted → both ways, every comment'),
  message_from_field: z.array(MessageFromField).max(20).optional().describe('Remote fields whose changes become hub comments under a headline'),
  default_message: z.strictObject({ body: z.string().min(1).max(10_000) }).optional()
    .describe('The comment added to a story imported from the remote when no other message rule produced one'),
  files: FilesRule.optional().describe('Attachments; omitted → files are not synced'),
  /** The binding's user map; without it, the assignee rule's value map serves. */
  users: z.array(z.strictObject({ hub: z.string().min(1).max(100), remote: z.string().min(1).max(300) })).max(1000).optional()
    .describe("The binding's user map: a hub user name (as written after @) and the remote's name for the same person (Redmine login, Jira Cloud account id, Jira Data Center username). Mentions in text go through it both ways; omitted → the assignee rule's value map"),
  /** This binding's options for its connector, checked against the connector's `bindingOptions` when saved. */
  options: z.record(z.string(), z.unknown()).optional()
    .describe("This binding's options for its connector (its bindingOptions in GET /connectors; Jira: labelSpaces); omitted → the connector's defaults"),
}).superRefine((set, ctx) => {
  const seen = new Set<string>();
  set.fields?.forEach((rule, i) => {
    if (seen.has(rule.hub)) ctx.addIssue({ code: 'custom', path: ['fields', i, 'hub'], message: `${rule.hub} has more than one rule` });
    seen.add(rule.hub);
  });
});

export type FieldRule = z.infer<typeof FieldRule>;
export type MessageRule = z.infer<typeof MessageRule>;
export type FilesRule = z.infer<typeof FilesRule>;
export type RuleSetInput = z.input<typeof RuleSetSchema>;
export type RuleSet = z.infer<typeof RuleSetSchema>;

/** A rule set with every section resolved (defaults filled in). */
export interface EffectiveRules {
  fields: FieldRule[];
  messages: MessageRule;
  messageFromField: { remote: string; headline: string }[];
  defaultMessage: string | null;
  /** Null: attachments are not synced. */
  files: FilesRule | null;
  /** The binding's user map (mentions): the `users` section, or the assignee rule's value map. */
  users: Array<{ hub: string; remote: string }>;
  /** The binding's options for its connector, as stored (the connector's schema fills in its defaults). */
  options: Record<string, unknown>;
}
