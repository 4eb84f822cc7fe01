/**
 * Standalone GitHub double for the benchmark and manual poking:
 *   tsx scripts/github-double.ts --port 4010 --issues 10000 [--repo acme/widgets] [--token t] [--latency 20]
 * Prints the URL and token, then serves until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startGitHubDouble } from '../test/support/github-double';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4010' },
    host: { type: 'string', default: '127.0.0.1' },
    issues: { type: 'string', default: '10000' },
    repo: { type: 'string', multiple: true },
    token: { type: 'string' },
    seed: { type: 'string', default: '1' },
    latency: { type: 'string', default: '0' },
    'rate-limit': { type: 'string', default: '5000' },
  },
});

const repos = values.repo?.length ? values.repo : ['acme/widgets'];
const count = Number(values.issues);
const started = Date.now();
const double = await startGitHubDouble({
  port: Number(values.port),
  host: values.host,
  latencyMs: Number(values.latency),
  rateLimit: Number(values['rate-limit']),
  ...(values.token ? { token: values.token } : {}),
});
for (const repo of repos) double.seedIssues(repo, count, { seed: Number(values.seed) });

// Machine-readable lines first so a benchmark can `grep ^GITHUB_DOUBLE_` them.
console.log(`GITHUB_DOUBLE_URL=${double.url}`);
console.log(`GITHUB_DOUBLE_TOKEN=${double.token}`);
console.log(`GITHUB_DOUBLE_REPOS=${repos.join(',')}`);
console.error(`seeded ${count} issues into each of ${repos.join(', ')} in ${Date.now() - started} ms`);

const stop = (): void => {
  void double.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
