// net/ui/metrics.js: Prometheus text to samples, counter rates and interval
// means for the overview, per-service rates from two stats objects.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  counterRate, errorCount, intervalMean, overviewRates, overviewReading, parsePrometheus, serviceRates, total,
} from '../../net/ui/metrics.js';

const TEXT = `# HELP solo_http_requests_total Answered requests.
# TYPE solo_http_requests_total counter
solo_http_requests_total{route="/health",method="GET",status="200"} 10
solo_http_requests_total{route="/services/{id}",method="POST",status="201"} 5
solo_events_appended_total 42
solo_http_request_duration_seconds_sum 0.3
solo_http_request_duration_seconds_count 15
solo_store_commit_seconds_sum{} 0.02
solo_store_commit_seconds_count 4
weird{label="a \\"quoted\\" value, with comma",other="x"} 1.5e3
solo_up +Inf
not a sample line
broken{label="unterminated} 3
`;

test('parses names, labels (escapes included) and values; skips comments and junk', () => {
  const samples = parsePrometheus(TEXT);
  assert.equal(samples.length, 9);
  assert.deepEqual(samples[0], {
    name: 'solo_http_requests_total', labels: { route: '/health', method: 'GET', status: '200' }, value: 10,
  });
  const weird = samples.find((s) => s.name === 'weird');
  assert.deepEqual(weird.labels, { label: 'a "quoted" value, with comma', other: 'x' });
  assert.equal(weird.value, 1500);
  assert.equal(samples.find((s) => s.name === 'solo_up').value, Infinity);
  assert.equal(samples.find((s) => s.name === 'broken'), undefined);
  assert.deepEqual(parsePrometheus(undefined), []);
});

test('total sums every label set, null when the series is absent', () => {
  const samples = parsePrometheus(TEXT);
  assert.equal(total(samples, 'solo_http_requests_total'), 15);
  assert.equal(total(samples, 'solo_http_requests_total', (l) => l.method === 'POST'), 5);
  assert.equal(total(samples, 'solo_missing_total'), null);
});

test('counter rates and interval means', () => {
  assert.equal(counterRate(10, 30, 2), 10);
  assert.equal(counterRate(30, 10, 2), null);  // a restart
  assert.equal(counterRate(null, 10, 2), null);
  assert.equal(counterRate(1, 2, 0), null);
  assert.ok(Math.abs(intervalMean(0.1, 0.4, 10, 16) - 0.05) < 1e-12);
  assert.equal(intervalMean(0.1, 0.1, 10, 10), 0);
  assert.equal(intervalMean(null, 0.1, 1, 2), null);
});

test('two overview readings give the charts their rates', () => {
  const before = overviewReading(TEXT, 100);
  const after = overviewReading(TEXT
    .replace('solo_events_appended_total 42', 'solo_events_appended_total 52')
    .replace('status="200"} 10', 'status="200"} 30')
    .replace('duration_seconds_sum 0.3', 'duration_seconds_sum 0.5')
    .replace('duration_seconds_count 15', 'duration_seconds_count 35')
    .replace('commit_seconds_sum{} 0.02', 'commit_seconds_sum{} 0.05')
    .replace('commit_seconds_count 4', 'commit_seconds_count 10'), 102);
  const rates = overviewRates(before, after);
  assert.equal(rates.events_per_s, 5);
  assert.equal(rates.http_per_s, 10);
  assert.ok(Math.abs(rates.http_latency_ms - 10) < 1e-9);
  assert.ok(Math.abs(rates.commit_latency_ms - 5) < 1e-9);
  const blind = overviewRates(overviewReading('', 0), overviewReading('', 2));
  assert.deepEqual(blind, { events_per_s: null, http_per_s: null, http_latency_ms: null, commit_latency_ms: null });
});

test('service rates from two stats objects', () => {
  const since = '2026-12-01T22:00:00Z';
  const before = { since, calls: 100, errors: { timeout: 1, crash: 0 } };
  const after = { since, calls: 120, errors: { timeout: 3, crash: 2 } };
  assert.equal(errorCount(after), 5);
  assert.equal(errorCount({}), 0);
  assert.deepEqual(serviceRates(before, after, 2), { calls_per_s: 10, errors_per_s: 2, error_rate: 0.2 });
  assert.deepEqual(serviceRates(after, after, 1), { calls_per_s: 0, errors_per_s: 0, error_rate: 0 });
  // The figures restarted: no rate rather than a negative one.
  assert.deepEqual(serviceRates(after, { ...before, since: 'later' }, 1),
    { calls_per_s: null, errors_per_s: null, error_rate: null });
});
