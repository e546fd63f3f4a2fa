// Prometheus text (GET /metrics) to samples, and the rates the overview charts
// plot: counters differenced between two polls, latency as the mean of the
// interval (delta of _sum over delta of _count). Also the per-service rates
// the services table derives from two stats frames. Pure functions, tested by
// tests/ui/metrics.test.mjs.

// Bounds: a /metrics body of a few MiB at most is parsed; longer text is cut.
const MAX_TEXT = 8 * 1024 * 1024;

function parseLabels(text) {
  const labels = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) break;
    const name = text.slice(i, eq).trim().replace(/^,/, '').trim();
    if (text[eq + 1] !== '"') return null;
    let value = '';
    let j = eq + 2;
    for (; j < text.length; j++) {
      const c = text[j];
      if (c === '\\' && j + 1 < text.length) {
        const next = text[j + 1];
        value += next === 'n' ? '\n' : next;
        j++;
      } else if (c === '"') {
        break;
      } else {
        value += c;
      }
    }
    if (j >= text.length) return null;
    labels[name] = value;
    i = j + 1;
    while (i < text.length && (text[i] === ',' || text[i] === ' ')) i++;
  }
  return labels;
}

function parseValue(text) {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const value = Number(text);
  return text !== '' && !Number.isNaN(value) ? value : undefined;
}

// Prometheus text exposition -> [{name, labels, value}]. Comment lines
// (# HELP, # TYPE) and malformed lines are skipped.
export function parsePrometheus(text) {
  const samples = [];
  if (typeof text !== 'string') return samples;
  for (const raw of text.slice(0, MAX_TEXT).split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    let name;
    let labels = {};
    let rest;
    const brace = line.indexOf('{');
    const space = line.indexOf(' ');
    if (brace >= 0 && (space < 0 || brace < space)) {
      const close = line.lastIndexOf('}');
      if (close < brace) continue;
      name = line.slice(0, brace);
      labels = parseLabels(line.slice(brace + 1, close));
      if (labels === null) continue;
      rest = line.slice(close + 1).trim();
    } else {
      if (space < 0) continue;
      name = line.slice(0, space);
      rest = line.slice(space + 1).trim();
    }
    const value = parseValue(rest.split(/\s+/)[0]);
    if (value === undefined || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) continue;
    samples.push({ name, labels, value });
  }
  return samples;
}

// The sum of every sample of a metric (over all its label sets), or null when
// there is none: a token may not see a series at all.
export function total(samples, name, keep = () => true) {
  let sum = 0;
  let seen = false;
  for (const sample of samples) {
    if (sample.name === name && keep(sample.labels)) {
      sum += sample.value;
      seen = true;
    }
  }
  return seen ? sum : null;
}

// A counter's per-second rate between two readings; null when either is
// missing, the interval is not positive, or the counter went back (a restart).
export function counterRate(previous, current, seconds) {
  if (previous === null || current === null || previous === undefined || current === undefined) return null;
  if (!(seconds > 0) || current < previous) return null;
  return (current - previous) / seconds;
}

// The mean of a histogram over an interval, from its _sum and _count deltas;
// 0 when nothing was observed, null when a reading is missing.
export function intervalMean(previousSum, currentSum, previousCount, currentCount) {
  if ([previousSum, currentSum, previousCount, currentCount].some((v) => v === null || v === undefined)) return null;
  const count = currentCount - previousCount;
  const sum = currentSum - previousSum;
  if (count < 0 || sum < 0) return null;
  return count === 0 ? 0 : sum / count;
}

// What the overview needs from one /metrics poll.
export function overviewReading(text, atSeconds) {
  const samples = parsePrometheus(text);
  return {
    at: atSeconds,
    events: total(samples, 'solo_events_appended_total'),
    http: total(samples, 'solo_http_requests_total'),
    httpSum: total(samples, 'solo_http_request_duration_seconds_sum'),
    httpCount: total(samples, 'solo_http_request_duration_seconds_count'),
    commitSum: total(samples, 'solo_store_commit_seconds_sum'),
    commitCount: total(samples, 'solo_store_commit_seconds_count'),
  };
}

// Two overview readings -> the rates the charts plot (latencies in ms).
export function overviewRates(previous, current) {
  const seconds = current.at - previous.at;
  const http = intervalMean(previous.httpSum, current.httpSum, previous.httpCount, current.httpCount);
  const commit = intervalMean(previous.commitSum, current.commitSum, previous.commitCount, current.commitCount);
  return {
    events_per_s: counterRate(previous.events, current.events, seconds),
    http_per_s: counterRate(previous.http, current.http, seconds),
    http_latency_ms: http === null ? null : http * 1000,
    commit_latency_ms: commit === null ? null : commit * 1000,
  };
}

// The errors of a stats object, every kind summed.
export function errorCount(stats) {
  if (!stats || typeof stats.errors !== 'object' || stats.errors === null) return 0;
  let sum = 0;
  for (const value of Object.values(stats.errors)) {
    if (typeof value === 'number' && Number.isFinite(value)) sum += value;
  }
  return sum;
}

// A service's rates between two stats objects `seconds` apart: calls/s,
// errors/s and the error rate (errors per call in the interval). A counter
// that went back (the figures restarted, `since` changed) gives nulls.
export function serviceRates(previous, current, seconds) {
  if (!previous || !current || !(seconds > 0) || previous.since !== current.since) {
    return { calls_per_s: null, errors_per_s: null, error_rate: null };
  }
  const calls = counterRate(previous.calls, current.calls, seconds);
  const errors = counterRate(errorCount(previous), errorCount(current), seconds);
  let errorRate = null;
  if (calls !== null && errors !== null) errorRate = calls > 0 ? Math.min(1, errors / calls) : 0;
  return { calls_per_s: calls, errors_per_s: errors, error_rate: errorRate };
}
