// The services' figures as they change, for the views: the live feed's
// once-a-second stats frames when the watch runs, else (a token without
// `events`, or the feed reconnecting) GET /services polled every 2 s, shaped
// like a frame. Either way the handler gets {at (seconds), services: [{id,
// status, stats, tenant?}]} of the tenant the page acts for.
import { api } from './api.js';
import { live } from './live.js';
import { session } from './session.js';

const POLL_MS = 2000;

// Stats frames of an admin carry every tenant; the page acts for one (the
// admin's default tenant, as the REST API does without X-Tenant-ID).
export function actingTenant() {
  if (!session.whoami) return '';
  return session.admin ? 'default' : session.whoami.tenant;
}

export async function listServices() {
  const body = await api('GET', '/services?limit=1000');
  return Array.isArray(body.services) ? body.services : [];
}

function fromList(services) {
  return {
    at: performance.now() / 1000,
    services: services.map((s) => ({ id: s.service_id, status: s.status, stats: s.stats || null })),
  };
}

// Calls handler with each reading; returns the function that stops it.
export function watchStats(handler, onError = () => {}) {
  const tenant = actingTenant();
  let timer = null;
  let stopped = false;
  const poll = async () => {
    timer = null;
    if (stopped) return;
    if (live.state !== 'live') {
      try {
        handler(fromList(await listServices()));
      } catch (error) {
        onError(error);
      }
    }
    if (!stopped) timer = setTimeout(poll, POLL_MS);
  };
  const offStats = live.on('stats', (frame) => {
    const services = frame.services.filter((s) => s.tenant === undefined || s.tenant === tenant);
    handler({ at: frame.at, services });
  });
  poll();
  return () => {
    stopped = true;
    offStats();
    if (timer) clearTimeout(timer);
  };
}
