// #/services/<id>: one service. Its figures (GET /services/{id} and the stats
// frames) with charts; its versions (GET /services/{id}/versions: deploys,
// swaps and rollbacks from the event log) with the code of each and a diff of
// two picked ones; its logs and events, recent then live; a call console; swap
// and kill, each behind the in-page confirmation. Buttons the token may not
// use are not shown.
import { api, isForbidden, query, segment } from '../api.js';
import { RollingChart, chartBox } from '../charts.js';
import { busy, confirmAction, el, figureGrid, formValues, setFigure, toast } from '../dom.js';
import { diffLines } from '../diff.js';
import { formatBytes, formatCount, formatMicros, formatPercent, formatRate, formatTime } from '../format.js';
import { errorCount, serviceRates } from '../metrics.js';
import { live } from '../live.js';
import { session } from '../session.js';
import { watchStats } from '../stats_feed.js';

const FEED_LINES = 200;
const VERSIONS_SHOWN = 50;
// How far back (in event ids) the page looks for the service's recent events.
const EVENT_LOOKBACK = 2000;

const FIGURES = [
  ['status', 'Status'], ['version', 'Version'], ['calls', 'Calls'], ['casts', 'Casts'], ['errors', 'Errors'],
  ['error_rate', 'Error rate'], ['p50', 'p50'], ['p99', 'p99'], ['memory', 'Memory'], ['queue', 'Queue'],
  ['restarts', 'Restarts'], ['cpu_time', 'CPU time'], ['instructions', 'Instructions'], ['timers', 'Timers'],
  ['storage', 'Storage'], ['circuit', 'Circuit'],
];

function feedItem(text, className) {
  return el('li', { className }, text);
}

function prepend(list, item) {
  list.prepend(item);
  while (list.children.length > FEED_LINES) list.lastChild.remove();
}

function eventText(e) {
  const payload = e.payload && typeof e.payload === 'object' ? JSON.stringify(e.payload) : '';
  return `#${e.id} ${formatTime(e.timestamp)} ${e.event_type}${payload ? ` ${payload.slice(0, 300)}` : ''}`;
}

function logText(l) {
  return `${formatTime(l.timestamp)} [${l.level}] ${String(l.message).slice(0, 2000)}`;
}

export const service = {
  name: 'service',
  allowed: () => session.can('status'),
  render(root, params, ready) {
    const id = params.id;
    const path = `/services/${segment(id)}`;
    const figures = figureGrid('service-figures', FIGURES.map(([key, label]) => ({ key, label })));
    const chartGrid = el('div', { className: 'charts' });
    const charts = {};
    for (const [name, title, format] of [
      ['calls_per_s', 'Calls/s', formatRate], ['errors_per_s', 'Errors/s', formatRate],
      ['p99', 'p99 latency (ms)', (v) => `${v}`], ['memory', 'Memory (KiB)', (v) => `${v}`]]) {
      const { box, canvas } = chartBox(el, name, title);
      chartGrid.append(box);
      charts[name] = { canvas, title, format };
    }
    const missing = el('p', { className: 'note', hidden: true }, 'No such service in this tenant.');
    const versions = el('ul', { id: 'service-versions', className: 'versions' });
    const versionCode = el('pre', { id: 'version-code', className: 'code', hidden: true });
    const versionDiff = el('pre', { id: 'version-diff', className: 'diff', hidden: true });
    const logs = el('ul', { id: 'service-logs', className: 'feed' });
    const events = el('ul', { id: 'service-events', className: 'feed' });

    root.append(
      el('p', {}, el('a', { href: '#/services' }, '← Services')),
      el('h1', {}, id), missing, figures, el('h2', {}, 'Live'), chartGrid);
    for (const [name, spec] of Object.entries(charts)) charts[name] = new RollingChart(spec.canvas, spec.title, spec.format);

    let leaving = false;
    const actions = el('div', { className: 'grid-2' });
    if (session.can('call')) actions.append(callForm(path));
    if (session.can('swap')) actions.append(swapForm(path, () => { refreshStatus(); refreshVersions(); }));
    root.append(actions);
    if (session.can('kill')) {
      const kill = el('button', { type: 'button', id: 'kill-service', className: 'danger' }, 'Kill service');
      kill.addEventListener('click', async () => {
        if (!(await confirmAction(`Kill ${id}? It stops at once; its storage stays unless purged.`, 'Kill'))) return;
        leaving = true;  // the kill's own event must not ask for the service it removed
        try {
          await api('DELETE', path);
          toast(`killed ${id}`, 'ok');
          location.hash = '#/services';
        } catch (error) {
          leaving = false;
          toast(`kill: ${error.message}`);
        }
      });
      root.append(el('div', { className: 'actions panel' }, kill));
    }
    root.append(
      el('h2', {}, 'Versions'), el('p', { className: 'note' }, 'Pick two to compare them.'), versions, versionDiff, versionCode,
      el('div', { className: 'grid-2' },
        el('div', {}, el('h2', {}, 'Logs'), logs),
        el('div', {}, el('h2', {}, 'Events'), events)));

    // Figures.
    const show = (key, text) => setFigure(figures, key, text);
    const showStats = (stats) => {
      if (!stats) return;
      show('calls', formatCount(stats.calls));
      show('casts', formatCount(stats.casts));
      show('errors', formatCount(errorCount(stats)));
      const latency = stats.call_latency_us || {};
      show('p50', formatMicros(latency.p50));
      show('p99', formatMicros(latency.p99));
      show('memory', formatBytes(stats.memory_bytes));
      show('queue', formatCount(stats.mailbox_depth));
      show('restarts', formatCount(stats.restarts));
      show('cpu_time', formatMicros(stats.cpu_time_us));
      show('instructions', formatCount(stats.instructions));
      show('timers', formatCount(stats.timers));
      if (stats.storage) show('storage', `${formatCount(stats.storage.keys)} keys, ${formatBytes(stats.storage.bytes)}`);
      if (stats.circuit) show('circuit', stats.circuit);
    };
    let statusShown = false;
    const refreshStatus = async () => {
      if (leaving) return;
      try {
        const s = await api('GET', path);
        missing.hidden = true;
        show('status', s.status);
        show('version', String(s.version));
        show('memory', formatBytes(s.memory_bytes));
        show('queue', formatCount(s.message_queue_len));
        show('restarts', formatCount(s.restarts));
        if (s.circuit) show('circuit', s.circuit.state);
        if (s.storage) show('storage', `${formatCount(s.storage.keys)} keys, ${formatBytes(s.storage.bytes)}`);
        showStats(s.stats);
      } catch (error) {
        if (error.status === 404) missing.hidden = false;
        else toast(`${id}: ${error.message}`);
      }
      statusShown = true;
    };

    let previous = null;
    const stopStats = watchStats((reading) => {
      const entry = reading.services.find((s) => s.id === id);
      if (!entry || !entry.stats) return;
      show('status', entry.status);
      showStats(entry.stats);
      if (previous) {
        const rates = serviceRates(previous.stats, entry.stats, reading.at - previous.at);
        charts.calls_per_s.push(rates.calls_per_s);
        charts.errors_per_s.push(rates.errors_per_s);
        show('error_rate', formatPercent(rates.error_rate));
      }
      const p99 = entry.stats.call_latency_us && entry.stats.call_latency_us.p99;
      charts.p99.push(typeof p99 === 'number' ? Number((p99 / 1000).toFixed(3)) : null);
      charts.memory.push(typeof entry.stats.memory_bytes === 'number' ? Math.round(entry.stats.memory_bytes / 1024) : null);
      previous = { at: reading.at, stats: entry.stats };
    });

    // Versions, their code and the diff of two.
    const picked = [];
    const codeCache = new Map();
    const versionCodeOf = async (eventId) => {
      if (!codeCache.has(eventId)) {
        const body = await api('GET', `${path}/versions/${segment(eventId)}`);
        codeCache.set(eventId, typeof body.code === 'string' ? body.code : '');
      }
      return codeCache.get(eventId);
    };
    const showDiff = async () => {
      if (picked.length !== 2) {
        versionDiff.hidden = true;
        return;
      }
      const [older, newer] = [...picked].sort((a, b) => a - b);
      try {
        const [a, b] = await Promise.all([versionCodeOf(older), versionCodeOf(newer)]);
        const result = diffLines(a, b);
        versionDiff.hidden = false;
        versionDiff.dataset.from = String(older);
        versionDiff.dataset.to = String(newer);
        if (result.tooLarge) {
          versionDiff.replaceChildren('These versions are too large to compare here.');
          return;
        }
        versionDiff.replaceChildren(
          el('span', { className: 'same' }, `event ${older} → event ${newer}: +${result.added} −${result.removed}`),
          ...result.lines.map((line) => el('span', {
            className: line.op === '+' ? 'add' : line.op === '-' ? 'del' : 'same',
          }, `${line.op} ${line.text}`)));
      } catch (error) {
        toast(`diff: ${error.message}`);
      }
    };
    const refreshVersions = async () => {
      try {
        const body = await api('GET', `${path}/versions${query({ limit: VERSIONS_SHOWN })}`);
        const list = Array.isArray(body.versions) ? body.versions : [];
        if (list.length === 0) {
          versions.replaceChildren(el('li', { className: 'note' }, 'No versions recorded.'));
          return;
        }
        versions.replaceChildren(...list.map((v) => {
          const box = el('input', { type: 'checkbox', dataset: { version: String(v.event_id) },
            'aria-label': `compare version ${v.version} (event ${v.event_id})`, checked: picked.includes(v.event_id) });
          box.addEventListener('change', () => {
            const index = picked.indexOf(v.event_id);
            if (box.checked && index < 0) {
              picked.push(v.event_id);
              while (picked.length > 2) {
                const dropped = picked.shift();
                const other = versions.querySelector(`input[data-version="${dropped}"]`);
                if (other) other.checked = false;
              }
            } else if (!box.checked && index >= 0) {
              picked.splice(index, 1);
            }
            showDiff();
          });
          const view = el('button', { type: 'button', className: 'secondary', dataset: { code: String(v.event_id) } }, 'Code');
          view.addEventListener('click', async () => {
            try {
              versionCode.textContent = await versionCodeOf(v.event_id);
              versionCode.hidden = false;
            } catch (error) {
              toast(`code: ${error.message}`);
            }
          });
          return el('li', { dataset: { eventId: String(v.event_id), kind: v.kind } }, box,
            el('strong', {}, `v${v.version}`), el('span', {}, v.kind), el('span', { className: 'note' }, formatTime(v.at)),
            el('span', { className: 'note' }, formatBytes(v.code_bytes)), view);
        }));
      } catch (error) {
        versions.replaceChildren(el('li', { className: 'note' },
          isForbidden(error) ? 'This token may not read versions.' : `Versions unavailable: ${error.message}`));
      }
    };

    // Logs and events: the recent ones, then live.
    const loadLogs = async () => {
      if (!session.can('logs')) {
        logs.replaceChildren(feedItem('This token may not read logs.', 'note'));
        return;
      }
      try {
        const body = await api('GET', `/logs${query({ service_id: id, limit: FEED_LINES })}`);
        for (const line of body.logs || []) prepend(logs, feedItem(logText(line), line.level));
      } catch (error) {
        if (!isForbidden(error)) toast(`logs: ${error.message}`);
      }
    };
    const loadEvents = async () => {
      if (!session.can('events')) {
        events.replaceChildren(feedItem('This token may not read events.', 'note'));
        return;
      }
      try {
        const since = Math.max(0, live.since - EVENT_LOOKBACK);
        const body = await api('GET', `/events${query({ service_id: id, since, limit: 1000 })}`);
        for (const e of (body.events || []).slice(-FEED_LINES)) prepend(events, feedItem(eventText(e), 'event'));
      } catch (error) {
        if (!isForbidden(error)) toast(`events: ${error.message}`);
      }
    };
    const offLog = live.on('log', (line) => {
      if (line.service_id === id) prepend(logs, feedItem(logText(line), line.level));
    });
    const offEvent = live.on('event', (e) => {
      if (e.service_id !== id) return;
      prepend(events, feedItem(eventText(e), 'event'));
      refreshStatus();
      if (/deploy|swap|rollback|code/.test(e.event_type)) refreshVersions();
    });

    Promise.all([refreshStatus(), refreshVersions(), loadLogs(), loadEvents()]).then(() => {
      if (statusShown) ready();
    });

    return () => {
      stopStats();
      offLog();
      offEvent();
      for (const chart of Object.values(charts)) chart.destroy();
    };
  },
};

// form#call-form: a JSON message (empty = {}), the reply in #call-reply.
function callForm(path) {
  const reply = el('pre', { id: 'call-reply', className: 'reply' }, '');
  const form = el('form', { id: 'call-form', className: 'panel' },
    el('h2', {}, 'Call'),
    el('label', {}, 'Message (JSON)', el('textarea', { name: 'message', rows: '4', spellcheck: 'false',
      placeholder: '{"op": "inc"}' })),
    el('div', { className: 'actions' }, el('button', { type: 'submit' }, 'Send')),
    reply);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = formValues(form).message.trim() || '{}';
    let message;
    try {
      message = JSON.parse(text);
    } catch (error) {
      toast(`the message is not JSON: ${error.message}`);
      return;
    }
    await busy(form, async () => {
      try {
        const body = await api('POST', `${path}/call`, message);
        reply.dataset.state = 'ok';
        reply.textContent = JSON.stringify(body.reply, null, 2);
      } catch (error) {
        reply.dataset.state = 'error';
        reply.textContent = `${error.code}: ${error.message}`;
      }
    });
  });
  return form;
}

// form#swap-form: new code for the running service, after the confirmation;
// prefilled with the code that runs now.
function swapForm(path, onSwapped) {
  const code = el('textarea', { name: 'code', rows: '10', spellcheck: 'false', required: true });
  const form = el('form', { id: 'swap-form', className: 'panel' },
    el('h2', {}, 'Hot swap'),
    el('label', {}, 'New code', code),
    el('div', { className: 'actions' }, el('button', { type: 'submit' }, 'Swap')));
  api('GET', `${path}/code`).then((body) => {
    if (!code.value && typeof body.code === 'string') code.value = body.code;
  }, () => {});
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!(await confirmAction('Swap the running code? State migrates through code_change if defined.', 'Swap'))) return;
    await busy(form, async () => {
      try {
        const body = await api('PUT', `${path}/code`, { code: code.value });
        toast(`swapped to version ${body.version}`, 'ok');
        onSwapped(body);
      } catch (error) {
        toast(`swap: ${error.message}`);
      }
    });
  });
  return form;
}
