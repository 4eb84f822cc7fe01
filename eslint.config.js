import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', 'db/migrations/', 'eslint.config.js'] },
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
  {
    // Workflows are replayed: no I/O, no Node built-ins, no clocks or randomness outside the SDK.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'fs', 'path', 'http', 'https', 'crypto', 'child_process', 'net', 'os'], message: 'Workflows must stay deterministic: no Node built-ins.' },
          { group: ['pg', 'drizzle-orm', 'drizzle-orm/*', 'pino', '../db/*', '../api/*', '../lib/*'], message: 'Workflows see activities only as types.' },
          { group: ['../connectors/*'], allowTypeImports: true, message: 'Workflows may use connector types, never connector code.' },
          { group: ['../activities', '../activities/*'], allowTypeImports: true, message: 'Import activities as types only.' },
        ],
      }],
    },
  },
);
