/**
 * The connector conformance kit (`@trackbridge/testing`): the contract every connector passes, run
 * against the author's own test server through a fault-injecting proxy.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type CheckName, checkInfo, checks } from './checks';
import type { ConnectorClient, ConnectorDefinition, Logger, UserPair } from '@trackbridge/sdk';
import { connect as connectDefinition } from '../connectors/connect';
import { type ConformanceEnv, type ConformanceOptions, startConformanceEnv } from './env';

const ignore = () => undefined;
const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };

export { checks, checkInfo, type Check, type CheckName, type CheckNeed } from './checks';
export { ConformanceFailure } from './assert';
export { startConformanceEnv, type ConformanceEnv, type ConformanceOptions, type ConformanceRemote, type ConnectorTraits } from './env';
export { startFaultProxy, type FaultProxy, type FaultRule, type ProxiedRequest } from './proxy';

/**
 * A client for `definition`, connected as the platform connects one (config and secrets parsed by its
 * schemas, the HTTP client built from its `http` declaration, binding options parsed by its
 * `bindingOptions`), for a plugin's own tests beside the kit. `binding` gives the client a binding
 * context: its user map, the fields its rules use, and its raw options.
 */
export function connectForTest(
  definition: ConnectorDefinition,
  options: { config: unknown; secrets: unknown; binding?: { id?: string; users?: UserPair[]; fields?: string[]; options?: unknown }; fetch?: typeof fetch },
): ConnectorClient {
  const { binding } = options;
  return connectDefinition(definition, {
    config: options.config,
    secrets: options.secrets,
    logger: silentLogger,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(binding ? { binding: { id: binding.id ?? 'test-binding', users: binding.users ?? [], fields: binding.fields ?? [], options: binding.options ?? {} } } : {}),
  });
}

/** Why a check cannot run for this connector, or null when it can. */
export function skipReason(options: Pick<ConformanceOptions, 'definition' | 'traits'>, name: CheckName): string | null {
  const definition = options.definition;
  const needs = checkInfo[name].needs;
  if (needs === 'writer' && !definition.writer) return 'the connector has no writer';
  if ((needs === 'comments' || needs === 'commentEdits') && !definition.comments) return 'the connector has no comment writer';
  if (needs === 'commentEdits' && definition.cannot?.includes('editComments')) return "the connector's comments are add-only";
  if (needs === 'conditionalRequests' && !(options.traits.conditionalRequests ?? definition.conditionalRequests)) return 'the connector declares no conditional requests';
  return null;
}

/**
 * Registers the kit as a vitest suite: one `it` per check, and `it.skip` (with the reason in its
 * title) for each check the connector's capabilities rule out. `only` narrows the run.
 */
export function describeConnectorConformance(options: ConformanceOptions & { only?: readonly CheckName[]; timeoutMs?: number }): void {
  const definition = options.definition;
  describe(`${definition.name} (${definition.slug}) conformance`, () => {
    let env: ConformanceEnv | undefined;
    beforeAll(async () => {
      env = await startConformanceEnv(options);
    });
    afterAll(async () => {
      await env?.close();
    });
    for (const name of Object.keys(checks) as CheckName[]) {
      if (options.only && !options.only.includes(name)) continue;
      const reason = skipReason(options, name);
      if (reason) {
        it.skip(`${checkInfo[name].title} — skipped: ${reason}`, () => undefined);
        continue;
      }
      it(checkInfo[name].title, async () => {
        if (!env) throw new Error('the conformance kit did not start');
        await checks[name](env);
      }, options.timeoutMs ?? 60_000);
    }
  });
}
