/** Atlassian Document Format as Jira Cloud's REST API v3 reads and writes it (structurally typed). */
export interface AdfMark { type: string; attrs?: Record<string, unknown> }
export interface AdfNode {
  type: string;
  attrs?: Record<string, unknown>;
  content?: AdfNode[];
  text?: string;
  marks?: AdfMark[];
}
export interface AdfDoc { type: 'doc'; version: 1; content: AdfNode[] }
