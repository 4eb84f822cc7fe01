/**
 * trackbridge's plugin SDK: everything a plugin imports, from one place (`@trackbridge/sdk`).
 *
 * Versioned by `SDK_VERSION` (semver): a minor version adds, a major version breaks. A plugin declares
 * the plugin API it was built against (`apiVersion: PLUGIN_API_VERSION`); a trackbridge that speaks
 * another refuses it at boot with a message naming it.
 */
export const SDK_VERSION = '1.5.0';

// The zod the platform validates with: use it for config, secrets and action params.
export { z } from 'zod';

// Declaring plugins, connectors, actions, hooks and sinks.
export { PLUGIN_API_VERSION, hookPoints } from '../plugins/types';
export type {
  ActionConnection, ActionContext, ActionDefinition, ChangeMessage, ChangeStory, HookContext, HookDefinition, HookPayloads, HookPoint, HubBinding, HubLink, HubStory,
  HubStoryQuery, HubView, PluginDefinition, SinkDefinition, SinkPublisher, StoryChange,
} from '../plugins/types';
export { defineAction, defineHook, definePlugin, defineSink } from '../plugins/define';
// Receiving trackbridge's signed webhooks (docs/events.md).
export { SIGNATURE_HEADER, signPayload, verifySignature, type SignatureCheck } from '../sinks/signature';
export { capability, defineConnector, httpConfigFields } from '../connectors/define';
export type { HttpConfig } from '../connectors/http/options';
export type {
  AdoptionHint, AttachmentStore, BindingContext, Capability, CommentWriter, ConnectorClient, ConnectorContext, ConnectorDefinition, HttpDeclaration, ItemFields, Json, Limitation, LogFn, Logger,
  NewAttachment, NewItem, PullPage, Reader, RemoteAttachment, RemoteComment, RemoteItem, RemoteMetadata, Scope, ScopeGroup, TestResult, UserPair,
  WebhookDeclaration, WebhookDelivery, WebhookRequest, Writer,
} from '../connectors/types';

// Errors, classified where they are born: transient → retried with backoff, permanent → recorded, auth → binding paused.
export {
  AuthError, ConflictError, PermanentError, RateLimitedError, RemoteError, TransientError,
  isAuthError, isConflictError, isPermanentError, isRateLimitedError, isRemoteError, isTransientError,
} from '../connectors/errors';
export type { RemoteErrorKind } from '../connectors/errors';

// The egress policy, as plugin code meets it: `ctx.egress` (fetch, checkHost) in sinks, hooks and actions; its refusals.
export { DestinationRefusedError, isDestinationRefused } from '../connectors/http/refusal';
export type { Egress } from '../connectors/http/refusal';

// The shared HTTP helpers: classification, pacing, paginators and the incremental cursor.
export { classifyNetworkError, classifyResponse, isRateLimited, parseRetryAfter } from '../connectors/http/classify';
export type { FailedResponse } from '../connectors/http/classify';
export { Pacer, defaultPacing, xRateLimitHeaders } from '../connectors/http/pacer';
export type { PacingPolicy, RateLimitHeaders } from '../connectors/http/pacer';
export { followLinks, paginateOffset, parseLinkHeader } from '../connectors/http/paginate';
export type { LinkPage, OffsetOptions, OffsetPage } from '../connectors/http/paginate';
export { isoSeconds, pullIncremental } from '../connectors/http/incremental';
export type { IncrementalSource, ListingCursor, SourcePage, WatermarkCursor } from '../connectors/http/incremental';
export type { ErrorClassifier, HttpClient, HttpMethod, HttpRequest, HttpResponse, QueryValue } from '../connectors/http/client';

// The hub's open/closed as a remote's own states, both ways.
export { isGenericStatus, stateMap } from '../connectors/states';
export type { HubState, StateMap, StateMapOptions } from '../connectors/states';

// The hub's `@name` mentions and the binding's user map (`ctx.binding.users`), looked up both ways: for a
// connector that writes a mention in its remote's own form and reads it back (docs/plugins.md, Mentions).
export { mentions, splitMentions } from '../markup/mentions';
export type { MentionPart, Mentions, UserMap } from '../markup/mentions';

// The I1 marker a connector places in created items so a retried create finds them.
export { appendMarker, hasMarker, markerComment, markerIn, stripMarker } from '../connectors/marker';
