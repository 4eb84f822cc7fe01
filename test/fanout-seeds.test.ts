import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromAdf, normalize, type AdfNode } from '../markup';
import { defaultFieldRules } from '../rules';
import { installPlugin } from '../plugins/registry';
import gitlabPlugin from '../packages/connector-gitlab/src/index';
import { startGitLabDouble, type GitLabDouble } from '../packages/connector-gitlab/test/support/gitlab-double';
import linearPlugin from '../packages/connector-linear/src/index';
import { startLinearDouble, type LinearDouble } from '../packages/connector-linear/test/support/linear-double';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { startJiraDouble, type JiraDouble } from './support/jira-double';
import { eventually } from './support/harness';
import { startStack, type Stack } from './support/scenario';
import { pushSettled } from './support/settle';
import { seededRandom } from './support/seeded-random';

type Json = Record<string, unknown>;
type Side = 'github' | 'gitlab' | 'linear' | 'jira';
const SIDES: readonly Side[] = ['github', 'gitlab', 'linear', 'jira'];
const REPO = 'octo/seeds';
const GITLAB_PROJECT = 'acme/seeds';
const GITLAB_ENTRY = fileURLToPath(new URL('../packages/connector-gitlab/src/index.ts', import.meta.url));
const LINEAR_ENTRY = fileURLToPath(new URL('../packages/connector-linear/src/index.ts', import.meta.url));
/** How late the Jira double's search shows a write; a pull of Jira waits it out first. */
const JIRA_LAG_MS = 1500;
const jiraCaughtUp = () => new Promise((resolve) => setTimeout(resolve, JIRA_LAG_MS + 100));
const MARKER = /\n*<!-- trackbridge:[^>]*-->\s*$/;
/** Alice, mentioned in every description: her hub name (her GitHub login), her GitLab username, her Jira account id and her Linear profile. */
const ALICE = { hub: 'alice', gitlab: 'alice.gl', jira: '5b10a2844c20165700ede21g', linear: '[Alice Liddell](https://linear.app/acme/profiles/alice)' };
/** Hub markdown as Linear keeps it: a mention is a link to the person's profile. */
const linearForm = (md: string) => md.replaceAll(`@${ALICE.hub}`, ALICE.linear);
/** Hub markdown as GitLab keeps it: a mention names the GitLab username. */
const gitlabForm = (md: string) => md.replaceAll(`@${ALICE.hub}`, `@${ALICE.gitlab}`);
const jiraUsers = [{ hub: ALICE.hub, remote: ALICE.jira }];

/** One block of formatted text, as markdown (GitHub, GitLab, the hub) and as ADF (Jira). */
interface Block { md: string; adf: AdfNode }
const text = (t: string, marks?: { type: string; attrs?: Json }[]): AdfNode => ({ type: 'text', text: t, ...(marks ? { marks } : {}) }) as AdfNode;
const para = (...content: AdfNode[]): AdfNode => ({ type: 'paragraph', content }) as AdfNode;

/** A description drawn from the seed: a heading, then three of five kinds of formatted blocks. */
function description(random: () => number, who: string): Block[] {
  const word = () => ['cart', 'payment', 'refund', 'invoice', 'login', 'search'][Math.floor(random() * 6)]!;
  const kinds: Array<() => Block> = [
    () => {
      const [a, b] = [word(), word()];
      return { md: `- ${a} first\n- ${b} second`, adf: { type: 'bulletList', content: [a, b].map((w, i) => ({ type: 'listItem', content: [para(text(`${w} ${i ? 'second' : 'first'}`))] })) } as AdfNode };
    },
    () => {
      const w = word();
      return { md: `Fails on **${w}** again`, adf: para(text('Fails on '), text(w, [{ type: 'strong' }]), text(' again')) };
    },
    () => {
      const w = word();
      return { md: `See \`${w}.ts\` for details`, adf: para(text('See '), text(`${w}.ts`, [{ type: 'code' }]), text(' for details')) };
    },
    () => {
      const w = word();
      return { md: `Logged in [the ${w} log](https://example.com/${w})`, adf: para(text('Logged in '), text(`the ${w} log`, [{ type: 'link', attrs: { href: `https://example.com/${w}` } }])) };
    },
    () => {
      const [a, b] = [word(), word()];
      return { md: `1. ${a} step\n2. ${b} step`, adf: { type: 'orderedList', attrs: { order: 1 }, content: [a, b].map((w) => ({ type: 'listItem', content: [para(text(`${w} step`))] })) } as AdfNode };
    },
  ];
  const heading: Block = { md: `### From ${who}`, adf: { type: 'heading', attrs: { level: 3 }, content: [text(`From ${who}`)] } as AdfNode };
  // A mention in every description: `@alice` on the hub and GitHub, `@alice.gl` on GitLab, a link to her profile on Linear, a mention node on Jira.
  const w = word();
  const mention: Block = { md: `Ping @alice about ${w}`, adf: para(text('Ping '), { type: 'mention', attrs: { id: ALICE.jira, text: '@Alice Example' } } as AdfNode, text(` about ${w}`)) };
  // Two lists in a row would be one list in markdown (CommonMark joins them): a list is never followed by a list.
  const picked: number[] = [];
  while (picked.length < 3) {
    const k = Math.floor(random() * kinds.length);
    const isList = (i: number | undefined) => i === 0 || i === 4;
    if (isList(k) && isList(picked.at(-1))) continue;
    picked.push(k);
  }
  return [heading, mention, ...picked.map((k) => kinds[k]!())];
}
const markdownOf = (blocks: Block[]) => blocks.map((b) => b.md).join('\n\n');
const adfOf = (blocks: Block[]): AdfNode => ({ type: 'doc', version: 1, content: blocks.map((b) => b.adf) }) as AdfNode;

/**
 * Issue 26.4: one project bound to four trackers at once, GitHub, GitLab and Linear (the two plugin
 * packages) and Jira. On each of 5 seeds a hub story lands on all four, then an edit made on each side
 * in the seed's order (its title, and a description of the seed's blocks in that tracker's own markup:
 * markdown, or ADF for Jira; a mention of Alice as `@alice`, her GitLab username, a link to her Linear
 * profile or a Jira mention node) reaches the other three exactly once, in theirs, and two quiet pull cycles on all four
 * write nothing.
 */
describe('fan-out across GitHub, GitLab, Linear and Jira on 5 seeds', { timeout: 600_000 }, () => {
  let stack: Stack;
  let gh: GitHubDouble;
  let gl: GitLabDouble;
  let lin: LinearDouble;
  let jira: JiraDouble;
  const b = {} as Record<Side, { binding: Json }>;

  const writes = {
    github: () => gh.requests().filter((r) => r.method !== 'GET').length,
    gitlab: () => gl.log.filter((l) => !l.startsWith('GET ')).length,
    // Every GraphQL request is a POST: a write is a mutation that succeeded.
    linear: () => lin.log.filter((l) => /^\s*mutation\b/.test(l.query) && l.status === 200).length,
    // Jira's JQL search is a POST too; it reads.
    jira: () => jira.requests().filter((r) => r.method !== 'GET' && !/\/search/.test(r.path) && r.status < 300).length,
  };
  const snapshot = () => ({ github: writes.github(), gitlab: writes.gitlab(), linear: writes.linear(), jira: writes.jira() });
  const bindingId = (side: Side) => b[side].binding.id as string;
  const settled = async (storyId: string) => {
    for (const side of SIDES) await pushSettled(stack, bindingId(side), storyId, 60_000);
  };
  const cycle = async (storyId: string) => {
    await jiraCaughtUp();
    for (const side of SIDES) await stack.pullNow(bindingId(side), 60_000);
    await settled(storyId);
  };

  beforeAll(async () => {
    installPlugin(gitlabPlugin, GITLAB_ENTRY);
    installPlugin(linearPlugin, LINEAR_ENTRY);
    gh = await startGitHubDouble();
    gh.createRepo(REPO);
    gl = await startGitLabDouble();
    gl.createProject(GITLAB_PROJECT);
    lin = await startLinearDouble();
    lin.createTeam('SEED');
    jira = await startJiraDouble({ deployment: 'cloud', searchLagMs: JIRA_LAG_MS });
    // The sync user is a Jira admin here, so its writes may skip notifications (notifyUsers=false) the first time.
    jira.setAdmin(true);
    jira.createProject('SEEDS');
    stack = await startStack();
    const project = await stack.post('/projects', { key: 'SEEDS', name: 'Seeds' });
    const bindTo = async (connector: string, config: Json, secrets: Json, scope: string, rules?: Json) => {
      const connection = await stack.post('/connections', { connector, name: `${connector} seeds`, config, secrets });
      const binding = await stack.post('/bindings', { projectId: project.id, connectionId: connection.id, scope, pullIntervalSeconds: 3600 });
      if (rules) {
        const res = await stack.api.call('PUT', `/bindings/${binding.id}/rules`, rules);
        if (res.status !== 200) throw new Error(`PUT rules → ${res.status}: ${await res.text()}`);
      }
      await stack.initialSync(binding.id, 60_000);
      return { binding };
    };
    // Status, title and description travel everywhere; the rest is each tracker's own.
    // Mentions go through each binding's user map; GitHub uses the hub's names as they are.
    const users: Record<string, Array<{ hub: string; remote: string }>> = {
      gitlab: [{ hub: ALICE.hub, remote: ALICE.gitlab }], linear: [{ hub: ALICE.hub, remote: 'alice' }], jira: jiraUsers,
    };
    const common = (slug: string) => ({
      fields: defaultFieldRules(slug).filter((r) => ['title', 'description', 'status'].includes(r.hub)),
      ...(users[slug] ? { users: users[slug] } : {}),
    });
    b.github = await bindTo('github', { baseUrl: gh.url, maxRequestsPerSecond: 100 }, { token: gh.token }, REPO, common('github'));
    b.gitlab = await bindTo('gitlab', { baseUrl: gl.url, maxRequestsPerSecond: 100, overlapSeconds: 1 }, { token: gl.token }, GITLAB_PROJECT, common('gitlab'));
    b.linear = await bindTo('linear', { baseUrl: lin.url, maxRequestsPerSecond: 100, overlapSeconds: 1 }, { apiKey: lin.apiKey }, 'SEED', common('linear'));
    b.jira = await bindTo('jira', { baseUrl: jira.url, deployment: 'cloud', overlapSeconds: 5 }, jira.secrets, 'SEEDS', common('jira'));
  }, 240_000);
  afterAll(async () => {
    await stack?.stop();
    await gh?.close();
    await gl?.close();
    await lin?.close();
    await jira?.close();
  });

  for (const seed of [1, 2, 3, 4, 5]) {
    it(`seed ${seed}: each side's edit reaches the other three once, in their own markup, and two quiet cycles write nothing`, async () => {
      const random = seededRandom(seed);
      const story = await stack.post(`/projects/${b.github.binding.projectId as string}/stories`, { title: `Seed ${seed}`, description: markdownOf(description(random, 'the hub')) });
      const storyId = story.id as string;
      const ids = await eventually(async () => {
        const view = await stack.get(`/stories/${storyId}`);
        const by = new Map((view.links as Json[]).filter((l) => l.remoteId).map((l) => [l.bindingId as string, l.remoteId as string]));
        return by.size === 4 ? { github: by.get(bindingId('github'))!, gitlab: by.get(bindingId('gitlab'))!, linear: by.get(bindingId('linear'))!, jira: by.get(bindingId('jira'))! } : undefined;
      }, 60_000);
      await settled(storyId);
      const remote = () => ({
        github: normalize((gh.getIssue(REPO, Number(ids.github))?.body ?? '').replace(MARKER, '')),
        gitlab: normalize((gl.issue(GITLAB_PROJECT, ids.gitlab)?.description ?? '').replace(MARKER, '')),
        linear: normalize(lin.issue(ids.linear)?.description ?? ''),
        jira: fromAdf(jira.issue(ids.jira)?.description as AdfNode, { users: jiraUsers }),
      });
      /** What each tracker holds for one hub text: Linear keeps mentions as profile links. */
      const each = (md: string) => ({ github: md, gitlab: gitlabForm(md), linear: normalize(linearForm(md)), jira: md });
      const titles = () => ({ github: gh.getIssue(REPO, Number(ids.github))?.title, gitlab: gl.issue(GITLAB_PROJECT, ids.gitlab)?.title, linear: lin.issue(ids.linear)?.title, jira: jira.issue(ids.jira)?.summary });
      const landed = normalize((await stack.get(`/stories/${storyId}`)).description as string);
      expect(landed).toContain('@alice');
      expect(remote()).toEqual(each(landed));

      // The seed decides the order of the sides.
      const order = [...SIDES].sort(() => random() - 0.5);
      for (const side of order) {
        const blocks = description(random, side);
        const title = `Seed ${seed}, edited on ${side}`;
        const before = snapshot();
        if (side === 'github') {
          const marker = /<!-- trackbridge:[^>]*-->/.exec(gh.getIssue(REPO, Number(ids.github))!.body ?? '')?.[0] ?? '';
          gh.editIssue(REPO, Number(ids.github), { title, body: `${markdownOf(blocks)}\n\n${marker}` });
        } else if (side === 'gitlab') {
          const marker = /<!-- trackbridge:[^>]*-->/.exec(gl.issue(GITLAB_PROJECT, ids.gitlab)!.description ?? '')?.[0] ?? '';
          gl.edit(GITLAB_PROJECT, ids.gitlab, { title, description: `${gitlabForm(markdownOf(blocks))}\n\n${marker}` });
        } else if (side === 'linear') {
          lin.edit(ids.linear, { title, description: linearForm(markdownOf(blocks)) });
        } else {
          // Another Jira user saves it through the REST API, as the editor does.
          const secrets = jira.secrets as { email: string; apiToken: string };
          const res = await fetch(`${jira.url}/rest/api/3/issue/${ids.jira}`, {
            method: 'PUT',
            headers: { authorization: `Basic ${Buffer.from(`${secrets.email}:${secrets.apiToken}`).toString('base64')}`, 'content-type': 'application/json' },
            body: JSON.stringify({ fields: { summary: title, description: adfOf(blocks) } }),
          });
          expect(res.status).toBeLessThan(300);
          await jiraCaughtUp();
        }
        const expected = side === 'jira' ? fromAdf(adfOf(blocks), { users: jiraUsers }) : normalize(markdownOf(blocks));
        const afterEdit = snapshot();
        await stack.pullNow(bindingId(side), 60_000);
        await settled(storyId);
        const view = await stack.get(`/stories/${storyId}`);
        expect({ side, title: view.title, description: normalize(view.description as string) }).toEqual({ side, title, description: expected });
        expect({ side, ...remote() }).toEqual({ side, ...each(expected) });
        expect({ side, ...titles() }).toEqual({ side, github: title, gitlab: title, linear: title, jira: title });
        const crossed = snapshot();
        for (const target of SIDES) {
          // The origin's own edit is its only write there (no echo); each other side got exactly one write.
          const own = afterEdit[target] - before[target];
          const got = { side, target, writes: crossed[target] - before[target] - own };
          expect(got).toEqual({ side, target, writes: target === side ? 0 : 1 });
        }
      }
      for (const side of SIDES) expect((await stack.get(`/bindings/${bindingId(side)}/dead-letters`)).items).toEqual([]);
      const quiet = snapshot();
      const version = (await stack.get(`/stories/${storyId}`)).version;
      await cycle(storyId);
      await cycle(storyId);
      expect(snapshot()).toEqual(quiet);
      expect((await stack.get(`/stories/${storyId}`)).version).toBe(version);
      expect(gl.violations).toEqual([]);
      expect(lin.violations).toEqual([]);
    });
  }
});
