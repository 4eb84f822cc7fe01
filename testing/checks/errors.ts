import type { ConnectorClient, RemoteErrorKind } from '@trackbridge/sdk';
import { describeError, errorKind, expectThat, firstPage, rejection } from '../assert';
import type { ConformanceEnv } from '../env';
import type { FaultRule } from '../proxy';

interface PermanentCase { rule: FaultRule; kind: RemoteErrorKind; what: string }

/** Answers that must surface as an error of one kind, however often the connector asks again. */
const lasting: PermanentCase[] = [
  { rule: { status: 503, headers: { 'retry-after': '1' }, times: Infinity }, kind: 'transient', what: 'a 503 that lasts' },
  { rule: { status: 401, times: Infinity }, kind: 'auth', what: 'a 401' },
  { rule: { status: 404, times: Infinity }, kind: 'permanent', what: 'a 404' },
  { rule: { status: 422, times: Infinity }, kind: 'permanent', what: 'a 422' },
];

/** Answers a connector may retry through (then the retry must succeed, and honour Retry-After) or report as transient. */
const passing: Array<{ rule: FaultRule; what: string; minGapMs: number }> = [
  { rule: { status: 503 }, what: 'one 503', minGapMs: 0 },
  { rule: { status: 429, headers: { 'retry-after': '1' } }, what: 'one 429 with Retry-After: 1', minGapMs: 900 },
];

const listFirstPage = (client: ConnectorClient, scope: string) => firstPage(client.pull(scope, null));

/**
 * Error classification through injected faults on a listing's first request: 503 and 429 are
 * transient (retried, or reported so), 401 is auth, 404 and 422 are permanent; never a plain Error,
 * never swallowed into an empty page.
 */
export async function errors(env: ConformanceEnv): Promise<void> {
  const check = 'errors';
  const scope = await env.scope();
  const [seeded] = await env.options.remote.seed(scope, 1);
  expectThat(check, seeded !== undefined, 'remote.seed(1) must return an id');

  for (const { rule, what, minGapMs } of passing) {
    env.proxy.clearFaults();
    const from = env.proxy.mark();
    env.proxy.inject(rule);
    const outcome = await listFirstPage(env.client(), scope).then((page) => ({ page }), (error: unknown) => ({ error }));
    if ('error' in outcome) {
      expectThat(check, errorKind(outcome.error) === 'transient', `${what} must be retried or reported as transient; got ${describeError(outcome.error)}`);
      continue;
    }
    const ids = outcome.page?.items.map((i) => i.remoteId) ?? [];
    expectThat(check, ids.includes(seeded), `after ${what} the listing succeeded without item ${seeded}: the failure was swallowed`);
    const [failed, retried] = env.proxy.since(from);
    expectThat(check, failed?.injected === true && retried !== undefined, `${what} was not retried, yet the listing succeeded`);
    expectThat(check, retried.at - failed.at >= minGapMs, `${what}: the retry came ${retried.at - failed.at} ms later, before the remote allowed`);
  }

  for (const { rule, kind, what } of lasting) {
    env.proxy.clearFaults();
    env.proxy.inject(rule);
    const outcome = await rejection(listFirstPage(env.client(), scope));
    env.proxy.clearFaults();
    expectThat(check, outcome !== undefined, `${what} on every request, yet the listing succeeded (failure swallowed?)`);
    expectThat(check, errorKind(outcome.error) === kind, `${what} must raise a ${kind} error; got ${describeError(outcome.error)}`);
  }
}
