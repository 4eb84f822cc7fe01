/**
 * In-memory GitHub REST v3 double for tests and the benchmark. It follows GitHub's documented contract
 * (Link pagination, ETag/304, rate-limit headers, search) and lets a test inject the failures real GitHub produces.
 * Test code only: nothing in the product may import it. The implementation lives in ./github-double/.
 */
export type { GitHubComment, GitHubIssue } from './github-fixtures';
export { startGitHubDouble } from './github-double/handle';
export type { GitHubDouble, GitHubDoubleOptions } from './github-double/types';
export type { IssueChange, NewIssue, SeedOptions } from './github-double/store';
export type { DoubleRequest, Fault, FaultHandle, FaultRule } from './github-double/faults';
export type { RateResource, RateState } from './github-double/limits';
export type { RequestFilter, RequestRecord } from './github-double/server';
export type { WebhookDelivery } from './github-double/webhooks';
