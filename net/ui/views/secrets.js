// #/secrets: not written yet (this slice ships overview and services).
import { session } from '../session.js';

export const secrets = {
  name: 'secrets',
  allowed: () => false && session.admin,
  render() {
    throw new Error('the secrets view is not built yet');
  },
};
