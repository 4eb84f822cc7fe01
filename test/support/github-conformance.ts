import { randomBytes } from 'node:crypto';
import type { ConformanceOptions } from '../../testing';
import type { GitHubDouble } from './github-double';

/**
 * The conformance kit's view of the GitHub double: a fresh repo per check, items created now, and
 * waits on remote time that move the double's frozen clock instead of sleeping.
 */
export function githubConformance(double: () => GitHubDouble): Pick<ConformanceOptions, 'connect' | 'traits' | 'remote'> {
  return {
    connect: (baseUrl) => ({ config: { baseUrl, overlapSeconds: 5 }, secrets: { token: double().token } }),
    traits: { pageSize: 100, overlapSeconds: 5 },
    remote: {
      url: () => double().url,
      async reset() {
        const repo = `kit/conformance-${randomBytes(4).toString('hex')}`;
        double().createRepo(repo);
        return repo;
      },
      // Created now, one stamp (second) apart; seedIssues would spread them over a past year.
      seed: async (repo, count) => Array.from({ length: count }, (_, i) => String(double().addIssue(repo, { title: `Seeded ${i + 1}`, user: 'octocat' }).number)),
      async edit(repo, remoteId, { title }) {
        double().editIssue(repo, Number(remoteId), { title });
      },
      async waitUntil(instant) {
        double().setTime(Math.max(double().now().getTime(), instant));
      },
    },
  };
}
