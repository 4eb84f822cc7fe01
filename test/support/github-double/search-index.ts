import type { IssueRecord } from '../github-fixtures';
import type { Clock } from './clock';

/** What search sees lags behind the store by `lagMs`, as GitHub's index does. */
export function createSearchIndex(clock: Clock, initialLag: number) {
  let lagMs = initialLag;
  const stale = new Map<IssueRecord, IssueRecord | null>();
  const pending: Array<{ rec: IssueRecord; view: IssueRecord; visibleAt: number }> = [];
  const copy = (rec: IssueRecord): IssueRecord => ({ ...rec, labels: [...rec.labels], assignees: [...rec.assignees] });
  return {
    setLag: (ms: number): void => { lagMs = ms; },
    beforeChange(rec: IssueRecord, created: boolean): void {
      if (lagMs > 0 && !stale.has(rec)) stale.set(rec, created ? null : copy(rec));
    },
    afterChange(rec: IssueRecord): void {
      if (stale.has(rec)) pending.push({ rec, view: copy(rec), visibleAt: clock.now() + lagMs });
    },
    forget: (rec: IssueRecord): void => { stale.delete(rec); },
    /** The version of `rec` search can see, or null while it is not yet indexed. */
    view(rec: IssueRecord): IssueRecord | null {
      while (pending[0] && pending[0].visibleAt <= clock.now()) {
        const entry = pending.shift() as (typeof pending)[number];
        if (pending.some((p) => p.rec === entry.rec)) stale.set(entry.rec, entry.view); else stale.delete(entry.rec);
      }
      const seen = stale.get(rec);
      return seen === undefined ? rec : seen;
    },
  };
}
