import { z } from 'zod';

/** The item a webhook names: the remote id to fetch and, when the payload tells, the binding scope it belongs to. */
export interface WebhookTarget { scope?: string; remoteId: string }

/** Whether a binding's scope is the one a webhook names (trackers compare scope names case-insensitively). */
export const sameScope = (bindingScope: string, named: string) => bindingScope.toLowerCase() === named.toLowerCase();

/** A poke's body: which item changed, and optionally in which scope. */
export const pokeBody = z.strictObject({
  scope: z.string().min(1).max(300).optional(),
  remoteId: z.string().min(1).max(200).regex(/^[\w.:@#/-]+$/, 'letters, digits and . _ : @ # / - only'),
});
