import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** cli/ registers the verbs and imports the layers below it; nothing below imports cli/. */
const NO_CLI = {
  group: ['**/cli/**'],
  message: 'only cli/ (and tests) import cli/ (README: Architecture): share through common/.',
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.bonsai-data/', '**/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  // DESIGN: imports flow one way: cli/ -> packager/ | registry/ -> common/, bonsai-schema/. packager/ and
  // registry/ never import each other nor cli/ (the verbs are registered by cli/, not the reverse);
  // common/ is below both; bonsai-schema/ holds pure rules (no file, network or process I/O) and imports
  // nothing of the project.
  {
    files: ['packager/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/registry/**'],
              message: 'packager/ never imports registry/ (DESIGN.md): share through bonsai-schema/.',
            },
            NO_CLI,
          ],
        },
      ],
    },
  },
  {
    files: ['registry/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/packager/**'],
              message: 'registry/ never imports packager/ (DESIGN.md): share through bonsai-schema/.',
            },
            NO_CLI,
          ],
        },
      ],
    },
  },
  {
    files: ['common/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/packager/**', '**/registry/**'],
              message: 'common/ is below packager/ and registry/ (README: Architecture): it imports neither.',
            },
            NO_CLI,
          ],
        },
      ],
    },
  },
  {
    files: ['bonsai-schema/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            'fs',
            'fs/promises',
            'net',
            'http',
            'https',
            'child_process',
            'dgram',
            'dns',
            'tls',
          ].flatMap((m) => [
            { name: m, message: 'bonsai-schema/ is pure: no file, network or process I/O (DESIGN.md).' },
            {
              name: `node:${m}`,
              message: 'bonsai-schema/ is pure: no file, network or process I/O (DESIGN.md).',
            },
          ]),
          patterns: [
            {
              group: ['**/packager/**', '**/registry/**', '**/cli/**', '**/common/**'],
              message: 'bonsai-schema/ imports nothing of the project.',
            },
          ],
        },
      ],
    },
  },
  {
    // Scripts and tests talk to the terminal directly.
    files: ['test/**', 'bench/**', 'examples/**', '**/*.test.ts'],
    rules: { 'no-console': 'off' },
  },
);
