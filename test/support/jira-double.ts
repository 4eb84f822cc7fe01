/**
 * In-memory Jira double for tests: Cloud (REST v3: ADF, accountId, `/search/jql` with nextPageToken, 410
 * on the retired search) or Data Center (REST v2: wiki markup, name/key, `/search` with startAt). It models
 * transitions with screens, entity properties, a search index that lags writes, and 429s with and without
 * Retry-After. Every response it sends is checked against Atlassian's published model in
 * test/jira-double.test.ts (see ./jira-contract.ts). Test code only: nothing in the product may import it.
 */
export { startJiraDouble } from './jira-double/handle';
export { adfToText, textToAdf } from './jira-double/store';
export type { AdfNode, Deployment, DoubleIssueView, IssueEdit, JiraDouble, JiraDoubleOptions, RichText } from './jira-double/types';
export type { Exchange, RequestFilter, RequestRecord } from './jira-double/server';
