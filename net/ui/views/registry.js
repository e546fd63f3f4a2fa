// #/registry: the tenant's live discovery registrations (GET /registry),
// filterable by name, refreshed every 5 s (they expire by TTL).
import { api, query } from '../api.js';
import { el, toast } from '../dom.js';
import { formatTime } from '../format.js';
import { session } from '../session.js';

const REFRESH_MS = 5000;

export const registry = {
  name: 'registry',
  allowed: () => session.can('registry'),
  render(root, _params, ready) {
    const name = el('input', { id: 'registry-name', type: 'search', placeholder: 'Name (exact)', 'aria-label': 'Name' });
    const body = el('tbody');
    const table = el('table', { id: 'registry-table', className: 'data' },
      el('thead', {}, el('tr', {}, ['Name', 'Version', 'Service', 'Alive', 'Metadata', 'TTL left', 'Expires', 'Handle']
        .map((t) => el('th', { scope: 'col' }, t)))), body);
    root.append(el('h1', {}, 'Registry'), el('div', { className: 'toolbar' }, name), el('div', { className: 'table-scroll' }, table));

    let timer = null;
    let stopped = false;
    async function load() {
      try {
        const result = await api('GET', `/registry${query({ name: name.value.trim() })}`);
        const rows = result.registrations || [];
        body.replaceChildren(...(rows.length === 0
          ? [el('tr', {}, el('td', { colspan: '8', className: 'note' }, 'No live registrations.'))]
          : rows.map((r) => el('tr', { dataset: { handle: r.handle } },
            el('td', {}, r.name), el('td', {}, r.version),
            el('td', {}, el('a', { href: `#/services/${encodeURIComponent(r.service_id)}` }, r.service_id)),
            el('td', { className: r.alive ? 'badge-cell running' : 'badge-cell killed' }, r.alive ? 'yes' : 'no'),
            el('td', { className: 'mono' }, JSON.stringify(r.metadata || {}).slice(0, 300)),
            el('td', {}, `${r.ttl_remaining_s}s`), el('td', {}, formatTime(r.expires_at)),
            el('td', { className: 'mono' }, r.handle)))));
      } catch (error) {
        toast(`registry: ${error.message}`);
      }
    }
    const tick = async () => {
      await load();
      if (!stopped) timer = setTimeout(tick, REFRESH_MS);
    };
    name.addEventListener('change', load);
    tick().then(ready);
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  },
};
