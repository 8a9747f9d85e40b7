// ESLint flat config: typescript-eslint's recommended rules over the sources and tests, and the
// layer rules that hold the architecture (ARCHITECTURE.md): every import points down.
//   webview → protocol (types; a few pure-data core tables)
//   extension → app, protocol, core        cli, backend → app, protocol, core
//   app → protocol, core                   protocol → core (types)
//   core → core (never vscode, never a layer above); core/runtime → nothing else of the core
import tseslint from 'typescript-eslint';

/** An import path that reaches a top-level folder of src/ from below it (any depth of ../). */
const layer = (...names) => `^(\\.\\./)+(src/)?(${names.join('|')})(/|$)`;
const rule = (patterns) => ['error', { patterns }];
const noVscode = { group: ['vscode'], message: 'Only src/extension talks to VS Code.' };

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.cache/**', '.tmp/**', 'media/**', 'test/e2e/artifacts/**', 'demo/**', 'jobs/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': rule([
        noVscode,
        { regex: layer('app', 'cli', 'backend', 'extension', 'protocol', 'webview'), message: 'The core imports nothing above it.' },
      ]),
    },
  },
  {
    files: ['src/core/runtime/**/*.ts', 'src/core/util/**/*.ts'],
    rules: {
      'no-restricted-imports': rule([
        noVscode,
        { regex: '^\\.\\./', message: 'runtime and util are the bottom of the core: they import nothing else of it.' },
      ]),
    },
  },
  {
    files: ['src/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': rule([
        noVscode,
        { regex: layer('app', 'cli', 'backend', 'extension', 'webview'), message: 'The protocol depends only on core types.' },
      ]),
    },
  },
  {
    files: ['src/app/**/*.ts'],
    rules: {
      'no-restricted-imports': rule([
        noVscode,
        { regex: layer('cli', 'backend', 'extension', 'webview'), message: 'The application layer imports no adapter.' },
      ]),
    },
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': rule([
        noVscode,
        { regex: layer('backend', 'extension', 'webview'), message: 'The CLI is an adapter over src/app.' },
      ]),
    },
  },
  {
    files: ['src/backend/**/*.ts'],
    rules: {
      'no-restricted-imports': rule([
        noVscode,
        { regex: layer('cli', 'extension', 'webview'), message: 'The backend is an adapter over src/app.' },
      ]),
    },
  },
  {
    files: ['src/extension/**/*.ts'],
    rules: {
      'no-restricted-imports': rule([
        {
          regex: layer('cli', 'backend', 'webview'),
          message: 'The extension reaches the engine through src/app and the backend protocol.',
        },
      ]),
    },
  },
  {
    files: ['webview/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            noVscode,
            {
              regex: '^(\\.\\./)+src/(app|cli|backend|extension)(/|$)',
              message: 'The webview talks to the host only through src/protocol.',
            },
            {
              regex: '^(\\.\\./)+src/core/(?!report/figures$|features/types$)',
              allowTypeImports: true,
              message: 'The webview imports only types from the core (and the pure-data tables report/figures, features/types).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
