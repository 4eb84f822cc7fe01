/**
 * In-memory Jira double for tests: Cloud (REST v3: ADF, accountId, `/search/jql` with nextPageToken, 410
 * on the retired search) or Data Center (REST v2: wiki markup, name/key, `/search` with startAt). It is as
 * strict as Jira by default: entity properties are not JQL-searchable unless a test declares an index,
 * labels with spaces are refused, create and edit screens and required fields come from per-project,
 * per-issue-type metadata (createmeta, editmeta), custom fields of each type are validated as Jira
 * validates them, notifyUsers=false needs admin, an empty comment is refused, every request body is held
 * to jira.js's request models and every ADF document to @atlaskit/adf-schema (./jira-double/requests.ts),
 * and search lags writes. It keeps a changelog, models transitions with screens and 429s with and
 * without Retry-After. Every response it sends is checked against Atlassian's published model in
 * test/jira-double.test.ts (see ./jira-contract.ts). Test code only: nothing in the product may import it.
 */
export { startJiraDouble } from './jira-double/handle';
export { adfToText, textToAdf } from './jira-double/store';
export type { AdfNode, Deployment, DoubleIssueView, IssueEdit, JiraDouble, JiraDoubleOptions, RichText } from './jira-double/types';
export type { Exchange, RequestFilter, RequestRecord } from './jira-double/server';
