// Lint at the root: bench/, e2e/ and scripts/ (typed through tsconfig.tools.json), and the workspaces that
// share the base compiler options, each with its own eslint.config.js (typed together through
// tsconfig.lint.json: one program instead of one per workspace, about half the CPU). The dashboard
// (apps/web) is linted on its own, with its React rules and its own tsconfig.
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { trellisLint } from './packages/config/eslint.config.js';
import cli from './apps/cli/eslint.config.js';
import controlPlane from './apps/control-plane/eslint.config.js';
import proxy from './apps/proxy/eslint.config.js';
import shared from './packages/shared/eslint.config.js';
import streamClient from './packages/stream-client/eslint.config.js';

/** `npm run lint:workspaces` lints these (package.json); their files are in tsconfig.lint.json. */
const WORKSPACES = { 'apps/cli': cli, 'apps/control-plane': controlPlane, 'apps/proxy': proxy, 'packages/shared': shared, 'packages/stream-client': streamClient };

export default [
  { ignores: ['apps/web/**', 'packages/config/**', 'node_modules/**', '.trellis/**', 'examples/**', 'prisma/**', 'e2e/screenshots/**', 'test-results/**'] },
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
  // Each workspace's own config, its patterns read from its folder.
  ...Object.entries(WORKSPACES).flatMap(([dir, config]) => config.map((c) => ({ ...c, basePath: dir }))),
  {
    files: Object.keys(WORKSPACES).map((dir) => `${dir}/**/*.ts`),
    languageOptions: { parserOptions: { projectService: false, project: ['./tsconfig.lint.json'], tsconfigRootDir: import.meta.dirname } },
  },
];
