// #/registry: not written yet (this slice ships overview and services).
import { session } from '../session.js';

export const registry = {
  name: 'registry',
  allowed: () => false && session.admin,
  render() {
    throw new Error('the registry view is not built yet');
  },
};
