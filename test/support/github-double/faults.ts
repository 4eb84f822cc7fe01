/** Failures a test injects: error statuses, secondary rate limits, latency, hung requests and dropped connections. */
import type { IncomingHttpHeaders } from 'node:http';
import { sleep } from './clock';

export interface DoubleRequest { method: string; path: string; query: Record<string, string>; headers: IncomingHttpHeaders }
export type Fault =
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'secondaryRateLimit'; retryAfter?: number; status?: 403 | 429 }
  | { kind: 'latency'; ms: number }
  | { kind: 'hang' }
  | { kind: 'disconnect' };
export interface FaultRule {
  fault: Fault;
  /** How many matching requests it hits (default 1; Infinity until cancelled). */
  times?: number;
  /** Let this many matching requests through first. */
  skip?: number;
  method?: string;
  /** A string must equal the path; a RegExp is tested against it. */
  path?: string | RegExp;
  match?: (req: DoubleRequest) => boolean;
}
export interface FaultHandle {
  readonly hits: number;
  cancel(): void;
  /** Let requests held by a `hang` fault proceed normally. */
  release(): void;
}
export type FaultMatch = Pick<FaultRule, 'method' | 'path' | 'match'>;

interface ActiveRule { rule: FaultRule; left: number; skip: number; hits: number; held: Array<() => void> }

export function createFaults() {
  let rules: ActiveRule[] = [];
  const matches = ({ rule }: ActiveRule, req: DoubleRequest): boolean =>
    (rule.method === undefined || rule.method.toUpperCase() === req.method)
    && (rule.path === undefined || (typeof rule.path === 'string' ? rule.path === req.path : rule.path.test(req.path)))
    && (rule.match === undefined || rule.match(req));
  return {
    inject(rule: FaultRule): FaultHandle {
      const active: ActiveRule = { rule, left: rule.times ?? 1, skip: rule.skip ?? 0, hits: 0, held: [] };
      rules.push(active);
      const cancel = (): void => { rules = rules.filter((r) => r !== active); };
      return { get hits() { return active.hits; }, cancel, release: () => { cancel(); active.held.splice(0).forEach((go) => go()); } };
    },
    clear(): void { rules = []; },
    /** Latency faults delay and fall through; the first other matching fault decides the response. */
    async apply(req: DoubleRequest, onHit: (kind: Fault['kind']) => void): Promise<Fault | undefined> {
      for (const active of [...rules]) {
        if (active.left <= 0 || !matches(active, req)) continue;
        if (active.skip > 0) { active.skip--; continue; }
        active.left--;
        active.hits++;
        if (active.left <= 0 && active.rule.fault.kind !== 'hang') rules = rules.filter((r) => r !== active);
        const fault = active.rule.fault;
        onHit(fault.kind);
        if (fault.kind === 'latency') await sleep(fault.ms);
        else if (fault.kind === 'hang') await new Promise<void>((go) => active.held.push(go));
        else return fault;
      }
      return undefined;
    },
  };
}
export type Faults = ReturnType<typeof createFaults>;
