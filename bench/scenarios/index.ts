import type { Scenario } from '../scenario';
import { p1 } from './p1-github';
import { p1r } from './p1r-redmine';
import { p2 } from './p2-latency';
import { p3 } from './p3-requests';
import { p4 } from './p4-memory';
import { p5 } from './p5-backlog';
import { p5r } from './p5r-redmine-outage';
import { p6 } from './p6-coalescing';
import { p7 } from './p7-webhooks';
import { p8 } from './p8-events';
import { p9 } from './p9-bindings';

/**
 * Every scenario, in run order. P3 follows P1 because it reuses P1's initial sync; P4 runs last of the
 * pull side as it starts fresh workers; the push side (P2, P5, P6) and P7 bind fresh repos on the shared stack.
 * P5' binds a fresh project on the real Redmine, behind a proxy that goes away for its outage.
 * P9 opens a stack and a double of its own (its worker's CPU and memory are the fleet's) and runs last.
 * Add a scenario by writing a `Scenario` and listing it here.
 */
export const scenarios: readonly Scenario[] = [p1, p3, p1r, p4, p2, p5, p5r, p6, p7, p8, p9];
