// #/system: not written yet (this slice ships overview and services).
import { session } from '../session.js';

export const system = {
  name: 'system',
  allowed: () => false && session.admin,
  render() {
    throw new Error('the system view is not built yet');
  },
};
