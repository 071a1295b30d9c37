// The lint rules every workspace extends (create-t3-turbo's shape): type-aware
// typescript-eslint, type-only imports spelled as such, no non-null assertions.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** @param {string} tsconfigRootDir the workspace folder whose tsconfig.json types the files */
export function trellisLint(tsconfigRootDir) {
  return tseslint.config(
    { ignores: ['dist/**', 'dist.*/**', '.next/**', 'src/generated/**', 'next-env.d.ts', '*.config.*', 'bin/**'] },
    js.configs.recommended,
    ...tseslint.configs.recommendedTypeChecked,
    {
      languageOptions: { parserOptions: { projectService: true, tsconfigRootDir } },
      rules: {
        '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
        '@typescript-eslint/no-non-null-assertion': 'error',
        '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
        '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
        '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
        '@typescript-eslint/no-unsafe-assignment': 'off',
        '@typescript-eslint/no-unsafe-member-access': 'off',
        '@typescript-eslint/no-unsafe-argument': 'off',
        '@typescript-eslint/no-unsafe-call': 'off',
        '@typescript-eslint/no-unsafe-return': 'off',
        '@typescript-eslint/require-await': 'off',
        // Disagrees with tsc about Prisma's Json input types (it sees them through the generated client's
        // @ts-nocheck files), and removing the assertions it flags breaks the typecheck.
        '@typescript-eslint/no-unnecessary-type-assertion': 'off',
        '@typescript-eslint/only-throw-error': 'off',
        'no-restricted-properties': [
          'error',
          { object: 'process', property: 'env', message: 'Read the environment once, in env.ts.' },
        ],
      },
    },
    {
      files: ['**/env.ts', 'test/**', '**/*.test.ts', 'scripts/**', 'bin/**'],
      rules: { 'no-restricted-properties': 'off' },
    },
    {
      // Tests stringify what sockets and mocks hand them, and type module mocks with import().
      files: ['test/**', '**/*.test.ts'],
      rules: {
        '@typescript-eslint/no-base-to-string': 'off',
        '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      },
    },
  );
}
