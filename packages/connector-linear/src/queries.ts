/** The GraphQL documents the connector sends, each checked against Linear's published schema in its tests. */

const ISSUE = `
fragment TbIssue on Issue {
  id identifier number title description priority estimate createdAt updatedAt url
  state { id name type }
  assignee { id displayName }
  labels(first: 100) { nodes { id name } }
  cycle { id number }
  team { id key }
}`;

const COMMENT = `
fragment TbComment on Comment {
  id body createdAt updatedAt
  user { displayName }
}`;

export const VIEWER = `query TbViewer { viewer { id displayName name } }`;

export const USERS = `query TbUsers($after: String) {
  users(first: 250, after: $after, includeDisabled: true) { nodes { id displayName name url } pageInfo { hasNextPage endCursor } }
}`;

export const HISTORY = `query TbHistory($id: String!, $after: String) {
  issue(id: $id) {
    history(first: 100, after: $after) {
      nodes {
        createdAt actor { id }
        fromTitle toTitle toState { name type } fromPriority toPriority
        fromAssigneeId toAssigneeId toAssignee { displayName } addedLabels { name } removedLabels { name }
        fromEstimate toEstimate fromCycleId toCycleId toCycle { number }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

export const TEAMS = `query TbTeams($after: String) {
  teams(first: 100, after: $after) { nodes { id key name } pageInfo { hasNextPage endCursor } }
}`;

export const TEAM = `query TbTeam($key: String!) {
  teams(filter: { key: { eq: $key } }, first: 1) {
    nodes {
      id key name
      states(first: 100) { nodes { id name type position } }
      labels(first: 250) { nodes { id name } }
      members(first: 250) { nodes { id displayName name } }
      cycles(first: 100) { nodes { id number } }
    }
  }
}`;

export const ISSUES = `query TbIssues($filter: IssueFilter, $first: Int, $after: String) {
  issues(filter: $filter, first: $first, after: $after, orderBy: updatedAt) {
    nodes { ...TbIssue }
    pageInfo { hasNextPage endCursor }
  }
}${ISSUE}`;

export const ISSUE_BY_ID = `query TbIssue($id: String!) { issue(id: $id) { ...TbIssue } }${ISSUE}`;

export const COMMENTS = `query TbComments($id: String!, $after: String) {
  issue(id: $id) { comments(first: 100, after: $after) { nodes { ...TbComment } pageInfo { hasNextPage endCursor } } }
}${COMMENT}`;

export const CREATE_ISSUE = `mutation TbCreateIssue($input: IssueCreateInput!) {
  issueCreate(input: $input) { success issue { ...TbIssue } }
}${ISSUE}`;

export const UPDATE_ISSUE = `mutation TbUpdateIssue($id: String!, $input: IssueUpdateInput!) {
  issueUpdate(id: $id, input: $input) { success issue { ...TbIssue } }
}${ISSUE}`;

export const DELETE_ISSUE = `mutation TbDeleteIssue($id: String!) { issueDelete(id: $id) { success } }`;

export const CREATE_COMMENT = `mutation TbCreateComment($input: CommentCreateInput!) {
  commentCreate(input: $input) { success comment { ...TbComment } }
}${COMMENT}`;

export const UPDATE_COMMENT = `mutation TbUpdateComment($id: String!, $input: CommentUpdateInput!) {
  commentUpdate(id: $id, input: $input) { success comment { ...TbComment } }
}${COMMENT}`;
