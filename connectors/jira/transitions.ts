/**
 * Jira moves an issue's status only through its workflow's transitions. The one to take is the one
 * whose target status has the name asked for, else the one whose target is in the status category of
 * that name (To Do / In Progress / Done), so "Done" reaches a workflow's "Closed".
 */
import { PermanentError } from '../errors';
import { isGenericStatus } from '../states';
import type { ItemFields } from '../types';
import type { JiraApi } from './client';
import type { JiraIssue, JiraTransition } from './shapes';

const same = (a: string, b: string) => a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0;

/** The status a change asks for: a name, or a category when only `closed` is given. */
function target(changes: Partial<ItemFields>): { name?: string; category?: 'done' | 'new' } | undefined {
  if (changes.status !== undefined) return { name: changes.status };
  if (changes.closed !== undefined) return { category: changes.closed ? 'done' : 'new' };
  return undefined;
}

export function chooseTransition(key: string, current: JiraIssue['fields']['status'], transitions: JiraTransition[], changes: Partial<ItemFields>): JiraTransition | null {
  const want = target(changes);
  if (!want) return null;
  if (want.name !== undefined && same(current.name, want.name)) return null;
  // A generic name asks for a status of its kind: an issue already of that kind stays where it is, as on
  // Redmine (and as the rules compare statuses), rather than asking for a transition to its own status.
  if (want.name !== undefined && isGenericStatus(want.name)) {
    const closed = changes.closed ?? want.name.toLowerCase() === 'closed';
    if ((current.statusCategory.key === 'done') === closed) return null;
  }
  // Only `closed` given: an issue already open (or already done) stays where it is.
  if (want.category !== undefined && (current.statusCategory.key === 'done') === (want.category === 'done')) return null;
  const byName = want.name === undefined ? undefined : transitions.find((t) => same(t.to.name, want.name ?? ''));
  // A name no status has may still be a category's ("Done"), or come with `closed` (a hub status from another tracker).
  const category = want.category ?? (changes.closed === undefined ? undefined : changes.closed ? 'done' : 'new');
  const byCategory = transitions.find((t) => same(t.to.statusCategory.name, want.name ?? '\u0000'))
    ?? (category === undefined ? undefined : transitions.find((t) => t.to.statusCategory.key === category));
  // A status name Jira does not have, with `closed` already true to where the issue is: nothing to move.
  if (!byName && want.name !== undefined && category !== undefined && (current.statusCategory.key === 'done') === (category === 'done')) return null;
  const chosen = byName ?? byCategory;
  if (!chosen) {
    const offered = transitions.map((t) => `"${t.name}" → ${t.to.name}`).join(', ') || 'none';
    throw new PermanentError(`Jira ${key}: no transition from "${current.name}" leads to ${want.name ? `"${want.name}"` : `a ${want.category} status`} (offered: ${offered})`);
  }
  // A screen asking for fields the hub cannot fill: a dead letter naming them, never a half-done move.
  const required = Object.entries(chosen.fields ?? {}).filter(([, f]) => f.required && f.hasDefaultValue !== true);
  if (required.length) {
    const names = required.map(([id, f]) => (f.name && f.name !== id ? `${f.name} (${id})` : id)).join(', ');
    throw new PermanentError(`Jira ${key}: the transition "${chosen.name}" to "${chosen.to.name}" requires fields on its screen: ${names}`);
  }
  return chosen;
}

/** Moves the issue if the change asks for another status. */
export async function moveStatus(api: JiraApi, issue: JiraIssue, changes: Partial<ItemFields>): Promise<boolean> {
  if (!target(changes)) return false;
  const { transitions } = await api.transitions(issue.id);
  const chosen = chooseTransition(issue.key, issue.fields.status, transitions, changes);
  if (!chosen) return false;
  await api.transition(issue.id, chosen.id);
  return true;
}
