// The project's own lint rules, as the `marketpulse` ESLint plugin (eslint.config.mjs).
import { disableNeedsReason } from './disable-needs-reason.mjs';
import { importFences } from './import-fences.mjs';

export default {
  meta: { name: 'marketpulse' },
  rules: { 'import-fences': importFences, 'disable-needs-reason': disableNeedsReason },
};
