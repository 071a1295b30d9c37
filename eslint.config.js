// Lint for what lives outside the workspaces: bench/, e2e/, scripts/ (each workspace has its own config).
// Same rules as the workspaces; TypeScript is typed through tsconfig.tools.json.
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { trellisLint } from './packages/config/eslint.config.js';

export default [
  { ignores: ['apps/**', 'packages/**', 'node_modules/**', '.trellis/**', 'examples/**', 'prisma/**', 'e2e/screenshots/**', 'test-results/**'] },
  ...trellisLint(import.meta.dirname),
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: false, project: ['./tsconfig.tools.json'], tsconfigRootDir: import.meta.dirname } },
  },
  { files: ['**/*.mjs', '**/*.js'], ...tseslint.configs.disableTypeChecked },
  { files: ['**/*.mjs', '**/*.js'], languageOptions: { globals: globals.node } },
  {
    // Benchmarks and browser tests are programs of their own: they read their settings where they start.
    files: ['bench/**', 'e2e/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // Browser tests and the graph bench type page.evaluate callbacks and fixtures with import().
    files: ['e2e/**', 'bench/**'],
    rules: { '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }] },
  },
];
