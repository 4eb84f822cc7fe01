import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // bin/ holds the JS launcher only (it runs dist/ when built, else the sources through tsx); it is outside the TypeScript project.
  { ignores: ['node_modules/', '.data/', 'db/migrations/', 'eslint.config.js', 'bin/', 'dist/', 'packages/*/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...layerRules(),
  ...exampleRules(),
);

/**
 * An example plugin (and a connector package under packages/) is a third-party package in miniature: it imports trackbridge only by its public
 * entries (`@trackbridge/sdk`, `@trackbridge/testing`), never by a path climbing out of its own folder.
 */
function exampleRules() {
  const message = 'An example plugin imports trackbridge only from \'@trackbridge/sdk\' (tests: \'@trackbridge/testing\'), never by a relative path out of its package.';
  const onlyPublic = { regex: '^trackbridge/(?!sdk$|testing$)', message: 'trackbridge exports only ./sdk and ./testing to plugins.' };
  return [
    { files: ['examples/*/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ regex: '^\\.\\./', message }, onlyPublic] }] } },
    { files: ['examples/*/*/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ regex: '^(\\.\\./){2,}', message }, onlyPublic] }] } },
    // The connector packages are plugins too: only their own folder and the two public packages.
    { files: ['packages/connector-*/*/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ regex: '^(\\.\\./){2,}', message }, onlyPublic] }] } },
    { files: ['packages/connector-*/*/*/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ regex: '^(\\.\\./){3,}', message }, onlyPublic] }] } },
  ];
}

/**
 * The house has one direction: each folder imports only from the folders below it.
 *
 *   lib → markup → connectors → plugins → rules → db → workflows (contract) → temporal → sync → activities → api → console → runtime
 *
 * temporal/ is the Temporal client side: starting, signalling and scheduling workflows.
 * console/ is the web console at /ui: it reaches everything through the API (in-process requests).
 * lib holds leaf utilities; markup holds the pure text-format conversions connectors use; runtime is the composition root (it may import anything), as may
 * scripts/, bench/ and test/. Plugins see only the SDK. A back-import fails the lint.
 */
function layerRules() {
  const order = ['lib', 'markup', 'connectors', 'sinks', 'plugins', 'rules', 'db', 'workflows', 'temporal', 'sync', 'activities', 'api', 'console', 'runtime'];
  // A specifier climbing out of the folder into `name` (same-folder files like './sync' are fine).
  const into = (names) => `^(\\.\\./)+(${names.join('|')})(/|$)`;
  return order.slice(0, -1).map((layer, i) => {
    const above = order.slice(i + 1);
    const patterns = [{ regex: into(above), message: `${layer}/ sits below these folders and must not import from them (layer order: ${order.join(' → ')}).` }];
    if (layer === 'workflows') {
      // Workflows are replayed: no I/O, no Node built-ins, no clocks or randomness outside the SDK.
      patterns[0] = { regex: into(['temporal', 'sync', 'api', 'runtime', 'lib', 'db']), message: 'Workflows see activities only as types, and nothing else of ours but connector types.' };
      patterns.push(
        { group: ['node:*', 'fs', 'path', 'http', 'https', 'crypto', 'child_process', 'net', 'os'], message: 'Workflows must stay deterministic: no Node built-ins.' },
        { group: ['pg', 'drizzle-orm', 'drizzle-orm/*', 'pino'], message: 'Workflows see activities only as types.' },
        { regex: into(['connectors']), allowTypeImports: true, message: 'Workflows may use connector types, never connector code.' },
        { regex: into(['activities']), allowTypeImports: true, message: 'Import activities as types only.' },
      );
    }
    return { files: [`${layer}/**/*.ts`, `${layer}/**/*.tsx`], rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] } };
  });
}
