import { inject } from 'vitest';
import { freePort, spawnScript, type Spawned } from './process';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** What the API and worker processes of a fault test share: one database, one task queue, the test key. */
export function processEnv(databaseUrl: string, taskQueue: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test', DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_TASK_QUEUE: taskQueue,
    TRACKBRIDGE_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'), LOG_FORMAT: 'json', LOG_LEVEL: 'info',
    // The GitHub double listens on loopback; the fault tests send many requests a second through one token.
    TRACKBRIDGE_ALLOWED_HOSTS: '127.0.0.1', RATE_LIMIT_PER_MINUTE: '0',
    // Restarts would otherwise bundle the workflows each time (seconds of CPU): the run's bundle is reused.
    TEMPORAL_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
    ...extra,
  };
}

/** `npm run worker` as a real process, once it polls. */
export async function startWorkerProcess(env: Record<string, string>): Promise<Spawned> {
  const proc = spawnScript('scripts/worker.ts', env);
  await proc.waitFor(/worker running/);
  return proc;
}

/**
 * `npm run worker` as a real process, returned at once (so its caller can stop it whatever happens) with
 * the promise that it polls: a fault test boots the next worker while the current one lives.
 */
export function bootWorkerProcess(env: Record<string, string>): { proc: Spawned; running: Promise<Spawned> } {
  const proc = spawnScript('scripts/worker.ts', env);
  return { proc, running: proc.waitFor(/worker running/).then(() => proc) };
}

/** Throws (with the tail of its output) when a process has exited: inside `eventually`, it names why a wait failed. */
export function assertAlive(...procs: Spawned[]): true {
  for (const proc of procs) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
      const text = proc.output().split('\n').filter((l) => !l.startsWith('{')).join('\n').slice(-1500);
      throw new Error(`a process exited (${proc.child.exitCode ?? proc.child.signalCode}):\n${text}`);
    }
  }
  return true;
}

export interface ApiProcess { proc: Spawned; url: string; token: string; hub: HubClient }

/** `npm run api` as a real process on a free port, called with `token`. */
export async function startApiProcess(env: Record<string, string>, token: string): Promise<ApiProcess> {
  const port = await freePort();
  const proc = spawnScript('scripts/api.ts', { ...env, PORT: String(port), HOST: '127.0.0.1' });
  await proc.waitFor(/API listening/);
  const url = `http://127.0.0.1:${port}`;
  return { proc, url, token, hub: hubClient(url, token) };
}

class HttpError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface HubClient {
  /** Answers with the JSON of a 2xx; retries 5xx and network errors (counted in `failures`) until `timeoutMs`. */
  call(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<Json>;
  /** Sets a story's title whatever its version, as a user retrying after a conflict would. */
  setTitle(storyId: string, title: string): Promise<void>;
  readonly failures: string[];
}

export function hubClient(base: string, token: string): HubClient {
  const failures: string[] = [];
  async function call(method: string, path: string, body?: unknown, timeoutMs = 60_000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let failure: string;
      try {
        const res = await fetch(`${base}${path}`, {
          method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const json = (await res.json().catch(() => ({}))) as Json;
        if (res.status < 400) return json;
        if (res.status < 500) throw new HttpError(`${method} ${path} → ${res.status}: ${JSON.stringify(json)}`, res.status);
        failure = `${res.status} ${JSON.stringify(json)}`;
      } catch (err) {
        if (err instanceof HttpError) throw err;
        failure = String(err);
      }
      failures.push(`${method} ${path}: ${failure}`);
      if (Date.now() > deadline) throw new Error(`${method} ${path} kept failing: ${failure}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  async function setTitle(storyId: string, title: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const story = await call('GET', `/stories/${storyId}`);
      if (story.title === title) return;
      try {
        await call('PATCH', `/stories/${storyId}`, { version: story.version, title }, 30_000);
        return;
      } catch (err) {
        // A 409 means another write (or our own, answered 5xx but committed) got there first: read again.
        if (!(err instanceof HttpError && err.status === 409) || attempt > 20) throw err;
      }
    }
  }
  return { call, setTitle, failures };
}
