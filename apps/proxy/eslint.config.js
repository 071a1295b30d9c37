import { trellisLint } from '@trellis/config/eslint';

export default trellisLint(import.meta.dirname);
