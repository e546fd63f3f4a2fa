// #/service: not written yet (this slice ships overview and services).
import { session } from '../session.js';

export const service = {
  name: 'service',
  allowed: () => false && session.admin,
  render() {
    throw new Error('the service view is not built yet');
  },
};
