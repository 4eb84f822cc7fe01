import type { Json } from '../connectors/types';

/** What a pull or initial sync carries between its pages and runs, and reports: types only, shared by workflows and activities. */
export interface SyncState {
  runId: string;
  cursor: Json | null;
  listedAt: string;
  pages: number;
  items: number;
  total: number | null;
  counts: { created: number; updated: number; unchanged: number; failed: number; inboxed: number };
  comments: number;
}

export interface SyncInput {
  bindingId: string;
  /** Carried across continue-as-new. */
  state?: SyncState;
}

export interface SyncSummary {
  status: 'completed' | 'skipped';
  reason?: string;
  items: number;
  counts: SyncState['counts'];
  deleted?: number;
}

export interface SyncProgress {
  status: string;
  itemsDone: number;
  total: number | null;
  percent: number | null;
  pages: number;
  counts: SyncState['counts'];
}
