/** Attribute rules: pure decisions (no I/O) that the pull and the push apply. */
export { RuleSetSchema, FieldRule, type EffectiveRules, type RuleSet, type RuleSetInput } from './schema';
export { defaultFieldRules, effectiveRules } from './defaults';
export { bindingContext } from './context';
export { decidePull, decidePush, HUB_DEFAULTS, snapshotOf, type PullDecision, type PushDecision, type RemoteView, type RuleSnapshot } from './decide';
export { createdSnapshot, decideCreate } from './create';
export { OUTCOMES, type FieldReason } from './reasons';
export { outgoingBody, pullsComments, pullsFiles, sendsFile } from './messages';
export { sameJson, sameValue, type HubView } from './values';
