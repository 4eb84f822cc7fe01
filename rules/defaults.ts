import { findConnector } from '../plugins/registry';
import { CONNECTOR_FIELDS, RuleSetSchema, type EffectiveRules, type FieldRule } from './schema';

const twoWay = (field: string): FieldRule => ({ hub: field, remote: field, kind: 'two_way' });

const anyConnector = CONNECTOR_FIELDS;

/**
 * What a binding syncs with no rules written: the fields its connector declares (`fields` in its
 * definition), two-way, and comments both ways. An unknown connector gets every field.
 */
export const defaultFieldRules = (connector: string): FieldRule[] => (findConnector(connector)?.fields ?? anyConnector).map(twoWay);

/** The binding's stored rules (null → defaults) with every omitted section filled from the connector's defaults. */
export function effectiveRules(stored: unknown, connector: string): EffectiveRules {
  const set = stored === null || stored === undefined ? {} : RuleSetSchema.parse(stored);
  const fields = set.fields ?? defaultFieldRules(connector);
  return {
    fields,
    messages: set.messages ?? { direction: 'both', stripTag: false, edits: true },
    messageFromField: set.message_from_field ?? [],
    defaultMessage: set.default_message?.body ?? null,
    files: set.files ?? null,
    users: set.users ?? fields.find((rule) => rule.hub === 'assignee')?.map ?? [],
    options: set.options ?? {},
  };
}
