/** Linear issues and comments ↔ the hub's fields. */
import { type ItemFields, type Json, type RemoteComment, type RemoteItem, PermanentError, isGenericStatus } from '@trackbridge/sdk';
import type { LinearComment, LinearIssue, LinearTeam } from './api.js';

/** Linear's priorities, 0–4, by the names Linear shows (`priorityLabel`); 0 is "No priority", the hub's null. */
export const PRIORITIES = ['No priority', 'Urgent', 'High', 'Medium', 'Low'] as const;
export const ESTIMATE = 'Estimate';
export const CYCLE = 'Cycle';
/** Workflow state types on the closed side. */
export const CLOSED_TYPES = new Set(['completed', 'canceled']);

/** An issue as the hub reads it; `description` is the issue's, its mentions already read (see mentions.ts). */
export function toRemoteItem(issue: LinearIssue, description: string): RemoteItem {
  return {
    remoteId: issue.id,
    key: issue.identifier,
    url: issue.url,
    createdAt: issue.createdAt,
    updatedAt: issue.updatedAt,
    fields: {
      title: issue.title,
      description: description.replace(/\r\n/g, '\n'),
      status: issue.state.name,
      closed: CLOSED_TYPES.has(issue.state.type),
      priority: issue.priority > 0 ? PRIORITIES[issue.priority] ?? null : null,
      assignee: issue.assignee?.displayName ?? null,
      labels: issue.labels.nodes.map((l) => l.name),
      customFields: {
        [ESTIMATE]: issue.estimate === null ? null : String(issue.estimate),
        [CYCLE]: issue.cycle ? String(issue.cycle.number) : null,
      },
    },
    version: issue.updatedAt,
    // The create marker is the issue's id itself (see issueIdFor and the definition's markerForm).
    marker: issue.id,
    raw: issue as Json,
  };
}

/** A comment as the hub reads it; `body` is the comment's, its mentions already read. */
export const toRemoteComment = (c: LinearComment, body: string): RemoteComment => ({
  remoteId: c.id, author: c.user?.displayName ?? 'Linear', body, createdAt: c.createdAt, updatedAt: c.updatedAt,
});

/**
 * The workflow state a hub status goes to: the team's state of that name (any case), else for a generic
 * "open"/"closed" (or a bare closed flag) the first state of type `unstarted` or `completed`.
 */
export function stateFor(team: LinearTeam, change: { status?: string; closed?: boolean }, current?: LinearIssue): string | undefined {
  const states = [...team.states.nodes].sort((a, b) => a.position - b.position);
  const named = change.status === undefined ? undefined : states.find((s) => s.name.toLowerCase() === change.status!.toLowerCase());
  if (named) return named.id;
  const generic = change.status !== undefined && isGenericStatus(change.status);
  const closed = change.closed ?? (generic ? change.status!.toLowerCase() === 'closed' : undefined);
  if (closed === undefined) {
    if (change.status === undefined) return undefined;
    throw new PermanentError(`Linear team ${team.key} has no state ${JSON.stringify(change.status)} (its states: ${states.map((s) => `"${s.name}"`).join(', ')})`);
  }
  if (current && CLOSED_TYPES.has(current.state.type) === closed) return undefined;
  const target = states.find((s) => s.type === (closed ? 'completed' : 'unstarted')) ?? states.find((s) => CLOSED_TYPES.has(s.type) === closed);
  return target?.id;
}

/** The write input for hub fields, ids resolved in the team; names Linear lacks are left out with a warning. */
export function toInput(team: LinearTeam, changes: Partial<ItemFields>, warnings: string[], current?: LinearIssue): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  if (changes.title !== undefined) input.title = changes.title;
  if (changes.description !== undefined) input.description = changes.description;
  const stateId = stateFor(team, changes, current);
  if (stateId !== undefined) input.stateId = stateId;
  if (changes.priority !== undefined) {
    const at = changes.priority === null ? 0 : PRIORITIES.findIndex((p) => p.toLowerCase() === changes.priority!.toLowerCase());
    if (at < 0) warnings.push(`Linear has no priority ${JSON.stringify(changes.priority)} (its priorities: ${PRIORITIES.join(', ')}): the priority was not set`);
    else input.priority = at;
  }
  if (changes.assignee !== undefined) {
    const member = changes.assignee === null ? null : team.members.nodes.find((m) => m.displayName.toLowerCase() === changes.assignee!.toLowerCase());
    if (changes.assignee !== null && !member) warnings.push(`Linear team ${team.key} has no member ${JSON.stringify(changes.assignee)}: the assignee was not set`);
    else input.assigneeId = member?.id ?? null;
  }
  if (changes.labels !== undefined) {
    const ids: string[] = [];
    for (const name of changes.labels) {
      const label = team.labels.nodes.find((l) => l.name.toLowerCase() === name.toLowerCase());
      if (label) ids.push(label.id);
      else warnings.push(`Linear team ${team.key} has no label ${JSON.stringify(name)}: it was left out`);
    }
    input.labelIds = ids;
  }
  const custom = changes.customFields ?? {};
  if (ESTIMATE in custom) {
    const raw = custom[ESTIMATE] ?? null;
    const n = raw === null || raw.trim() === '' ? null : Number(raw);
    if (n !== null && !Number.isInteger(n)) warnings.push(`Linear estimates are whole numbers, not ${JSON.stringify(raw)}: the estimate was not set`);
    else input.estimate = n;
  }
  if (CYCLE in custom) {
    const raw = custom[CYCLE] ?? null;
    const cycle = raw === null ? null : team.cycles.nodes.find((c) => String(c.number) === raw.trim());
    if (raw !== null && !cycle) warnings.push(`Linear team ${team.key} has no cycle ${JSON.stringify(raw)}: the cycle was not set`);
    else input.cycleId = cycle?.id ?? null;
  }
  return input;
}
