import type { BindingContext } from '../connectors/types';
import type { EffectiveRules } from './schema';

/**
 * What a connected client is told of the binding it works for, from the binding's effective rules:
 * the user map, every remote field a rule or a field message uses,
 * and the raw connector options (the connector parses them).
 */
export function bindingContext(bindingId: string, rules: EffectiveRules): BindingContext<unknown> {
  const fields = [...new Set([...rules.fields.map((rule) => rule.remote), ...rules.messageFromField.map((m) => m.remote)])];
  return { id: bindingId, users: rules.users, fields, options: rules.options };
}
