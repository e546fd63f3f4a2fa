// #/services: the tenant's services in a sortable, filterable table that the
// stats frames keep live (calls/s, error rate from two readings), and the
// deploy form (with the counter example, /ui/examples/counter.lua).
import { api } from '../api.js';
import { busy, el, formValues, toast } from '../dom.js';
import { formatBytes, formatCount, formatMicros, formatPercent, formatRate } from '../format.js';
import { serviceRates } from '../metrics.js';
import { session } from '../session.js';
import { listServices, watchStats } from '../stats_feed.js';

// [column, header, value of a row model -> sortable value, text of it]
const COLUMNS = [
  ['id', 'Service', (r) => r.id, (v) => v],
  ['status', 'Status', (r) => r.status, (v) => v ?? '—'],
  ['version', 'Version', (r) => r.version, (v) => (v === undefined ? '—' : String(v))],
  ['memory', 'Memory', (r) => r.memory, formatBytes],
  ['queue', 'Queue', (r) => r.queue, formatCount],
  ['restarts', 'Restarts', (r) => r.restarts, formatCount],
  ['calls_per_s', 'Calls/s', (r) => r.calls_per_s, formatRate],
  ['error_rate', 'Error rate', (r) => r.error_rate, formatPercent],
  ['p99', 'p99', (r) => r.p99, formatMicros],
  ['circuit', 'Circuit', (r) => r.circuit, (v) => v ?? '—'],
];

// A row model from a GET /services item or a stats frame entry (+ its stats).
function applyStats(row, stats) {
  if (!stats) return;
  if (typeof stats.memory_bytes === 'number') row.memory = stats.memory_bytes;
  if (typeof stats.mailbox_depth === 'number') row.queue = stats.mailbox_depth;
  if (typeof stats.restarts === 'number') row.restarts = stats.restarts;
  if (stats.call_latency_us && typeof stats.call_latency_us.p99 === 'number') row.p99 = stats.call_latency_us.p99;
  if (typeof stats.circuit === 'string') row.circuit = stats.circuit;
}

function rowFromListItem(item) {
  const row = {
    id: item.service_id,
    status: item.status,
    version: item.version,
    memory: item.memory_bytes,
    queue: item.message_queue_len,
    restarts: item.restarts,
    circuit: item.circuit && item.circuit.state,
    calls_per_s: null,
    error_rate: null,
    p99: null,
  };
  applyStats(row, item.stats);
  return row;
}

function compare(a, b) {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  return a < b ? -1 : 1;
}

export const services = {
  name: 'services',
  allowed: () => session.can('status'),
  render(root, _params, ready) {
    const rows = new Map();  // id -> {model, tr, previous: {at, stats}}
    let sort = { column: 'id', descending: false };
    let filter = '';

    const headerRow = el('tr', {}, COLUMNS.map(([column, title]) =>
      el('th', { dataset: { sort: column }, scope: 'col', tabindex: '0', 'aria-sort': 'none',
        on: { click: () => setSort(column), keydown: (e) => { if (e.key === 'Enter') setSort(column); } } }, title)));
    const body = el('tbody');
    const table = el('table', { id: 'services-table', className: 'data' }, el('thead', {}, headerRow), body);
    const filterInput = el('input', { id: 'services-filter', type: 'search', placeholder: 'Filter by id or status',
      'aria-label': 'Filter services', on: { input: () => { filter = filterInput.value.trim().toLowerCase(); layout(); } } });
    const empty = el('p', { className: 'note', hidden: true }, 'No services yet: deploy one below.');

    root.append(el('h1', {}, 'Services'), el('div', { className: 'toolbar' }, filterInput),
      el('div', { className: 'table-scroll' }, table), empty);
    if (session.can('deploy')) root.append(deployForm(() => refresh()));

    function setSort(column) {
      sort = { column, descending: sort.column === column ? !sort.descending : false };
      layout();
    }

    function fill(entry) {
      entry.tr.dataset.status = entry.model.status || '';
      for (const [column, , value, text] of COLUMNS) {
        const td = entry.tr.querySelector(`td[data-col="${column}"]`);
        if (column === 'id') continue;
        td.textContent = text(value(entry.model));
        if (column === 'status' || column === 'circuit') td.className = `badge-cell ${value(entry.model) || ''}`;
      }
    }

    function ensureRow(id) {
      let entry = rows.get(id);
      if (entry) return entry;
      const tr = el('tr', { dataset: { serviceId: id } }, COLUMNS.map(([column]) =>
        el('td', { dataset: { col: column } },
          column === 'id' ? el('a', { href: `#/services/${encodeURIComponent(id)}` }, id) : '')));
      entry = { model: { id }, tr, previous: null };
      rows.set(id, entry);
      return entry;
    }

    function layout() {
      const column = COLUMNS.find(([name]) => name === sort.column);
      const ordered = [...rows.values()].sort((a, b) => {
        const order = compare(column[2](a.model), column[2](b.model));
        return sort.descending ? -order : order;
      });
      for (const th of headerRow.children) {
        th.setAttribute('aria-sort', th.dataset.sort === sort.column ? (sort.descending ? 'descending' : 'ascending') : 'none');
      }
      body.replaceChildren(...ordered.map((entry) => {
        const visible = filter === '' || entry.model.id.toLowerCase().includes(filter)
          || String(entry.model.status || '').toLowerCase().includes(filter);
        entry.tr.hidden = !visible;
        return entry.tr;
      }));
      empty.hidden = rows.size > 0;
    }

    async function refresh() {
      const list = await listServices();
      const seen = new Set();
      for (const item of list) {
        const entry = ensureRow(item.service_id);
        const previous = entry.model;
        entry.model = { ...rowFromListItem(item), calls_per_s: previous.calls_per_s ?? null,
          error_rate: previous.error_rate ?? null };
        fill(entry);
        seen.add(item.service_id);
      }
      for (const id of [...rows.keys()]) if (!seen.has(id)) rows.delete(id);
      layout();
    }

    let refreshing = false;
    const stop = watchStats((reading) => {
      let unknown = false;
      for (const s of reading.services) {
        const entry = rows.get(s.id);
        if (!entry) {
          unknown = true;
          continue;
        }
        entry.model.status = s.status;
        applyStats(entry.model, s.stats);
        if (entry.previous && s.stats) {
          const rates = serviceRates(entry.previous.stats, s.stats, reading.at - entry.previous.at);
          entry.model.calls_per_s = rates.calls_per_s;
          entry.model.error_rate = rates.error_rate;
        }
        if (s.stats) entry.previous = { at: reading.at, stats: s.stats };
        fill(entry);
      }
      const gone = reading.services.length !== rows.size;
      if ((unknown || gone) && !refreshing) {
        refreshing = true;
        refresh().catch(() => {}).finally(() => { refreshing = false; });
      } else {
        layout();
      }
    }, (error) => toast(error.message));

    refresh().then(ready, (error) => toast(`services: ${error.message}`));
    return stop;
  },
};

// form#deploy-form: service id + Lua code; button#example-counter fills it
// with examples/counter.lua (embedded with the page).
export function deployForm(onDeployed) {
  const idInput = el('input', { name: 'service_id', required: true, pattern: '[A-Za-z0-9_\\-][A-Za-z0-9_.\\-]{0,127}',
    autocomplete: 'off', spellcheck: 'false', placeholder: 'counter' });
  const code = el('textarea', { name: 'code', required: true, rows: '12', spellcheck: 'false',
    placeholder: 'function handle_call(msg, state) return msg, state end' });
  const example = el('button', { type: 'button', id: 'example-counter', className: 'secondary' }, 'Counter example');
  const form = el('form', { id: 'deploy-form', className: 'panel' },
    el('h2', {}, 'Deploy a service'),
    el('label', {}, 'Service id', idInput),
    el('label', {}, 'Lua code', code),
    el('div', { className: 'actions' }, example, el('button', { type: 'submit' }, 'Deploy')));
  example.addEventListener('click', async () => {
    try {
      const response = await fetch('/ui/examples/counter.lua');
      if (!response.ok) throw new Error(`the example is missing (${response.status})`);
      code.value = await response.text();
      if (!idInput.value) idInput.value = 'counter';
    } catch (error) {
      toast(error.message);
    }
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const values = formValues(form);
    await busy(form, async () => {
      try {
        const result = await api('POST', '/services', { service_id: values.service_id, code: values.code });
        toast(`deployed ${result.service_id} (version ${result.version})`, 'ok');
        onDeployed(result);
      } catch (error) {
        toast(`deploy: ${error.message}`);
      }
    });
  });
  return form;
}
