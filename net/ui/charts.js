// Chart.js wrappers (Chart.js 3 from Debian's libjs-chart.js, embedded and
// loaded by index.html as /ui/chart.min.js, which defines the global Chart):
// a line chart of the last 60 points of one series, appended to as figures
// arrive, without animation.

const POINTS = 60;

function cssColor(name, fallback) {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

export class RollingChart {
  // canvas: a <canvas data-chart=name>; label: the legend; format: a number -> axis text.
  constructor(canvas, label, format = (v) => String(v)) {
    this.values = [];
    this.labels = [];
    const line = cssColor('--chart-line', '#2563eb');
    const grid = cssColor('--chart-grid', 'rgba(127,127,127,0.2)');
    const text = cssColor('--muted', '#666');
    this.chart = new globalThis.Chart(canvas, {
      type: 'line',
      data: {
        labels: this.labels,
        datasets: [{
          label, data: this.values, borderColor: line, backgroundColor: line, borderWidth: 2,
          pointRadius: 0, tension: 0.25, spanGaps: false,
        }],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: false }, tooltip: { intersect: false, mode: 'index' } },
        scales: {
          x: { display: false },
          y: { beginAtZero: true, grid: { color: grid }, ticks: { color: text, maxTicksLimit: 4, callback: format } },
        },
      },
    });
  }

  // Appends one point (null draws a gap: no reading) and drops the oldest past 60.
  push(value, when = new Date()) {
    this.labels.push(when.toISOString().slice(11, 19));
    this.values.push(value === null || value === undefined || !Number.isFinite(value) ? null : value);
    while (this.values.length > POINTS) {
      this.values.shift();
      this.labels.shift();
    }
    this.chart.update('none');
  }

  // The number of points pushed so far (at most 60): the browser test reads it.
  get size() {
    return this.values.length;
  }

  destroy() {
    this.chart.destroy();
  }
}

// A chart box: a heading and a canvas[data-chart=name] in a sized container
// (Chart.js sizes the canvas to its parent).
export function chartBox(el, name, title) {
  const canvas = el('canvas', { dataset: { chart: name }, 'aria-label': title, role: 'img' });
  const box = el('div', { className: 'chart' }, el('h3', {}, title), el('div', { className: 'chart-area' }, canvas));
  return { box, canvas };
}
