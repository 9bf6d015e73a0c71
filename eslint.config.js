import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'web/dist/**', 'node_modules/**', 'coverage/**', '.patron/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The pure core: no I/O, no drivers, no adapters.
    files: ['src/domain/**/*.ts'],
    ignores: ['src/domain/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'http', 'crypto', 'os'],
              message: 'src/domain is pure: no Node I/O.',
            },
            {
              group: ['**/store/**', '**/server/**', '**/cli/**', '**/channels/**', '**/app/**'],
              message: 'src/domain must not import adapters or use cases.',
            },
            {
              group: ['kysely', 'pg', 'better-sqlite3', 'hono', '@hono/*'],
              message: 'src/domain must not import drivers or frameworks.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'src/domain is pure: pass configuration in.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'src/domain is pure: pass now in.' },
        {
          object: 'Math',
          property: 'random',
          message: 'src/domain is pure: pass a seeded random source in.',
        },
      ],
    },
  },
);
