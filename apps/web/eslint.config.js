import reactHooks from 'eslint-plugin-react-hooks';
import { trellisLint } from '@trellis/config/eslint';

export default [
  ...trellisLint(import.meta.dirname),
  {
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'warn',
    },
  },
];
