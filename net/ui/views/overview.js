// #/overview: health (status, version, uptime), services by status, and the
// live charts. Events/s, HTTP requests/s and latency and commit latency come
// from /metrics polled every 2 s (a token with `metrics`; a tenant's token
// sees only its own series, so the process-wide ones stay empty); calls/s and
// errors/s from the services' stats (stats frames, or GET /services).
import { api, isForbidden } from '../api.js';
import { RollingChart, chartBox } from '../charts.js';
import { el, figureGrid, setFigure } from '../dom.js';
import { formatRate, formatUptime } from '../format.js';
import { errorCount, overviewRates, overviewReading } from '../metrics.js';
import { session } from '../session.js';
import { watchStats } from '../stats_feed.js';

const POLL_MS = 2000;

export const overview = {
  name: 'overview',
  allowed: () => true,
  render(root, _params, ready) {
    const health = figureGrid('health', [
      { key: 'status', label: 'Health' },
      { key: 'version', label: 'Version' },
      { key: 'uptime', label: 'Uptime' },
      { key: 'services', label: 'Services' },
    ]);
    const byStatus = el('ul', { id: 'services-by-status', className: 'by-status' });
    const specs = [
      ['events_per_s', 'Events/s', formatRate],
      ['http_per_s', 'HTTP requests/s', formatRate],
      ['http_latency', 'HTTP latency (ms, mean)', (v) => `${v}`],
      ['commit_latency', 'Commit latency (ms, mean)', (v) => `${v}`],
      ['calls_per_s', 'Calls/s', formatRate],
      ['errors_per_s', 'Errors/s', formatRate],
    ];
    const grid = el('div', { className: 'charts' });
    const charts = {};
    for (const [name, title, format] of specs) {
      const { box, canvas } = chartBox(el, name, title);
      grid.append(box);
      charts[name] = { canvas, title, format };
    }
    const metricsNote = el('p', { className: 'note', hidden: true },
      'This token lacks the metrics permission: events, HTTP and commit charts stay empty.');
    root.append(el('h1', {}, 'Overview'), health, el('h2', {}, 'Services by status'), byStatus,
      el('h2', {}, 'Live'), metricsNote, grid);
    for (const [name, spec] of Object.entries(charts)) charts[name] = new RollingChart(spec.canvas, spec.title, spec.format);

    let stopped = false;
    let healthShown = false;
    let statusShown = false;
    const maybeReady = () => {
      if (healthShown && statusShown) ready();
    };

    const pollHealth = async () => {
      try {
        const h = await api('GET', '/health');
        setFigure(health, 'status', h.status);
        health.querySelector('[data-figure="status"]').dataset.state = h.status;
        setFigure(health, 'version', h.version || '—');
        setFigure(health, 'uptime', formatUptime(h.uptime_s));
        setFigure(health, 'services', String(h.services));
        healthShown = true;
        maybeReady();
      } catch (error) {
        setFigure(health, 'status', 'unreachable');
      }
    };

    let previousReading = null;
    let metricsAllowed = session.can('metrics');
    metricsNote.hidden = metricsAllowed;
    const pollMetrics = async () => {
      if (!metricsAllowed) return;
      try {
        const reading = overviewReading(await api('GET', '/metrics'), performance.now() / 1000);
        if (previousReading) {
          const rates = overviewRates(previousReading, reading);
          charts.events_per_s.push(rates.events_per_s);
          charts.http_per_s.push(rates.http_per_s);
          charts.http_latency.push(rates.http_latency_ms === null ? null : Number(rates.http_latency_ms.toFixed(2)));
          charts.commit_latency.push(rates.commit_latency_ms === null ? null : Number(rates.commit_latency_ms.toFixed(2)));
        }
        previousReading = reading;
      } catch (error) {
        if (isForbidden(error)) {
          metricsAllowed = false;
          metricsNote.hidden = false;
        }
      }
    };

    const showStatus = (services) => {
      const counts = new Map();
      for (const s of services) counts.set(s.status, (counts.get(s.status) || 0) + 1);
      byStatus.replaceChildren(...(counts.size === 0
        ? [el('li', { className: 'empty' }, 'no services yet')]
        : [...counts.entries()].sort().map(([status, n]) =>
          el('li', { dataset: { status } }, el('span', { className: `badge ${status}` }, status), ` ${n}`))));
      statusShown = true;
      maybeReady();
    };

    let previousTotals = null;
    const stopStats = session.can('status') ? watchStats((reading) => {
      showStatus(reading.services);
      let calls = 0;
      let errors = 0;
      for (const s of reading.services) {
        if (!s.stats) continue;
        calls += s.stats.calls || 0;
        errors += errorCount(s.stats);
      }
      if (previousTotals) {
        const seconds = reading.at - previousTotals.at;
        const rate = (now, before) => (seconds > 0 && now >= before ? (now - before) / seconds : null);
        charts.calls_per_s.push(rate(calls, previousTotals.calls));
        charts.errors_per_s.push(rate(errors, previousTotals.errors));
      }
      previousTotals = { at: reading.at, calls, errors };
    }) : (() => {
      byStatus.replaceChildren(el('li', { className: 'empty' }, 'this token may not list services'));
      statusShown = true;
      return () => {};
    })();

    const tick = async () => {
      if (stopped) return;
      await Promise.all([pollHealth(), pollMetrics()]);
      if (!stopped) timer = setTimeout(tick, POLL_MS);
    };
    let timer = null;
    tick();

    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      stopStats();
      for (const chart of Object.values(charts)) chart.destroy();
    };
  },
};
