// Number and time formatting for the dashboard. Pure functions (no DOM), so
// tests/ui/format.test.mjs runs them under Node.

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

function finite(value) {
  return typeof value === 'number' && Number.isFinite(value);
}

// 1536 -> "1.5 KiB"; anything that is not a finite number -> "—".
export function formatBytes(bytes) {
  if (!finite(bytes)) return '—';
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const sign = bytes < 0 ? '-' : '';
  return sign + (unit === 0 ? String(value) : value.toFixed(value < 10 ? 1 : 0)) + ' ' + BYTE_UNITS[unit];
}

// Seconds of uptime -> "3d 4h", "2h 5m", "4m 10s", "12s".
export function formatUptime(seconds) {
  if (!finite(seconds) || seconds < 0) return '—';
  const s = Math.floor(seconds);
  const days = Math.floor(s / 86400);
  const hours = Math.floor((s % 86400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${minutes}m`;
  if (minutes > 0) return `${minutes}m ${s % 60}s`;
  return `${s}s`;
}

// Microseconds -> "850 µs", "12.3 ms", "2.05 s".
export function formatMicros(us) {
  if (!finite(us)) return '—';
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1e6) return `${(us / 1000).toFixed(us < 1e4 ? 2 : 1)} ms`;
  return `${(us / 1e6).toFixed(2)} s`;
}

// A per-second rate: "0", "0.25/s", "12.5/s", "1.2k/s".
export function formatRate(perSecond) {
  if (!finite(perSecond)) return '—';
  if (perSecond === 0) return '0/s';
  if (perSecond >= 1000) return `${(perSecond / 1000).toFixed(1)}k/s`;
  if (perSecond >= 10) return `${perSecond.toFixed(1)}/s`;
  return `${perSecond.toFixed(2)}/s`;
}

// A ratio 0..1 -> "0%", "2.5%", "100%".
export function formatPercent(ratio) {
  if (!finite(ratio)) return '—';
  const percent = ratio * 100;
  if (percent === 0 || percent === 100) return `${percent}%`;
  return `${percent < 10 ? percent.toFixed(1) : percent.toFixed(0)}%`;
}

// An integer count with thin grouping: 1234567 -> "1 234 567".
export function formatCount(n) {
  if (!finite(n)) return '—';
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
}

// An ISO time -> "2026-12-01 22:10:05" (UTC, as the server writes it).
export function formatTime(iso) {
  if (typeof iso !== 'string' || iso === '') return '—';
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return match ? `${match[1]} ${match[2]}` : iso;
}

// Epoch seconds or an ISO string -> formatTime's form; null/0 -> "never".
export function formatExpiry(value) {
  if (value === null || value === undefined || value === 0 || value === '') return 'never';
  if (finite(value)) return formatTime(new Date(value * 1000).toISOString());
  return formatTime(String(value));
}
