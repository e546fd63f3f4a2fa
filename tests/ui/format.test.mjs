// net/ui/format.js: the numbers and times the dashboard shows.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  formatBytes, formatCount, formatExpiry, formatMicros, formatPercent, formatRate, formatTime, formatUptime,
} from '../../net/ui/format.js';

test('bytes in binary units', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(64 * 1024 * 1024), '64 MiB');
  assert.equal(formatBytes(undefined), '—');
  assert.equal(formatBytes(NaN), '—');
});

test('uptime in its two largest units', () => {
  assert.equal(formatUptime(12), '12s');
  assert.equal(formatUptime(250), '4m 10s');
  assert.equal(formatUptime(7500), '2h 5m');
  assert.equal(formatUptime(3 * 86400 + 4 * 3600 + 59), '3d 4h');
  assert.equal(formatUptime(-1), '—');
});

test('latency from microseconds', () => {
  assert.equal(formatMicros(850), '850 µs');
  assert.equal(formatMicros(1234), '1.23 ms');
  assert.equal(formatMicros(12345), '12.3 ms');
  assert.equal(formatMicros(2_050_000), '2.05 s');
  assert.equal(formatMicros(null), '—');
});

test('rates and ratios', () => {
  assert.equal(formatRate(0), '0/s');
  assert.equal(formatRate(0.25), '0.25/s');
  assert.equal(formatRate(12.5), '12.5/s');
  assert.equal(formatRate(1234), '1.2k/s');
  assert.equal(formatRate(null), '—');
  assert.equal(formatPercent(0), '0%');
  assert.equal(formatPercent(0.025), '2.5%');
  assert.equal(formatPercent(0.5), '50%');
  assert.equal(formatPercent(1), '100%');
});

test('counts and times', () => {
  assert.equal(formatCount(1234567), '1\u202f234\u202f567');
  assert.equal(formatCount(12), '12');
  assert.equal(formatTime('2026-12-01T22:10:05.123Z'), '2026-12-01 22:10:05');
  assert.equal(formatTime(''), '—');
  assert.equal(formatExpiry(null), 'never');
  assert.equal(formatExpiry(0), 'never');
  assert.equal(formatExpiry(1764627005), '2025-12-01 22:10:05');
  assert.equal(formatExpiry('2026-12-01T22:10:05Z'), '2026-12-01 22:10:05');
});
