/**
 * What the API answers, as the console reads it. Each type is inferred from the zod schema the API
 * route declares (and documents in /openapi.json), so a page reads only fields the API really sends.
 */
import type { StoryView } from '../api/stories';

export type { StartedJobView } from '../api/actions';
export type { AttachmentView } from '../api/attachments';
export type { BacklogView, DeadLetterView } from '../api/backlog';
export type { BindingRunView } from '../api/binding-runs';
export type { BindingStatusView, BindingView } from '../api/bindings';
export type { ConnectionView, RemoteMetadataView, ScopeGroupsView } from '../api/connections';
export type { ConnectorView } from '../api/connectors';
export type { ActivityView } from '../api/explain';
export type { HookRunView } from '../api/hooks';
export type { InboxEntryView } from '../api/inbox';
export type { JobSummaryView, JobView } from '../api/jobs';
export type { PluginView } from '../api/plugins';
export type { ProjectView } from '../api/projects';
export type { PreviewView, RulesView } from '../api/rules';
export type { RunView } from '../api/runs';
export type { StartedRunView } from '../api/schemas';
export type { SessionView } from '../api/session';
export type { CommentView, StoryView } from '../api/stories';

/**
 * A list answer: `{ items }`, and on the routes that page (explain log, binding runs, hook runs,
 * jobs) the cursor of the next page, null on the last one.
 */
export interface ApiPage<T> {
  items: T[];
  nextCursor?: string | null;
}

// Answers the API declares inline, without a named schema (api/stories.ts, api/bindings.ts, api/backlog.ts, api/inbox.ts).
/** GET /projects/{id}/stories: paged by limit and offset, with the project's total. */
export interface StoryListView { items: StoryView[]; total: number }
/** POST /bindings/{id}/pull */
export interface PullStartedView { workflowId: string | null; queued: boolean; statusUrl: string | null }
/** POST /bindings/{id}/dead-letters/retry */
export interface RetriedView { retried: number }
/** POST /bindings/{id}/inbox/{entryId}/import */
export interface ImportedView { storyId: string }

/**
 * JSON with no schema behind it: the OpenAPI document, a job's or a run's `result`, a run's progress,
 * a binding's rule sets, what a form field held. Read it by narrowing (`isJsonObject`, `typeof`), never by assuming a shape.
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject { [key: string]: JsonValue }

export const isJsonObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
