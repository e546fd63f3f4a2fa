// #/tokens: not written yet (this slice ships overview and services).
import { session } from '../session.js';

export const tokens = {
  name: 'tokens',
  allowed: () => false && session.admin,
  render() {
    throw new Error('the tokens view is not built yet');
  },
};
