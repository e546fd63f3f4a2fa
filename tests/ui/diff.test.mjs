// net/ui/diff.js: the line diff of two code versions (LCS) and its bound.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { diffLines } from '../../net/ui/diff.js';

const render = (result) => result.lines.map((l) => l.op + l.text).join('\n');

test('identical texts are all context lines', () => {
  const result = diffLines('a\nb\nc\n', 'a\nb\nc\n');
  assert.equal(result.tooLarge, false);
  assert.equal(render(result), ' a\n b\n c');
  assert.equal(result.added, 0);
  assert.equal(result.removed, 0);
});

test('a changed line is a removal then an addition, context kept', () => {
  const result = diffLines('function f()\n  return 1\nend\n', 'function f()\n  return 2\nend\n');
  assert.equal(render(result), ' function f()\n-  return 1\n+  return 2\n end');
  assert.equal(result.added, 1);
  assert.equal(result.removed, 1);
});

test('insertions and deletions in the middle follow the longest common subsequence', () => {
  const result = diffLines('a\nb\nc\nd\ne', 'a\nx\nc\nd\ny\ne');
  assert.equal(render(result), ' a\n-b\n+x\n c\n d\n+y\n e');
  assert.deepEqual([result.added, result.removed], [2, 1]);
});

test('from and to empty', () => {
  assert.equal(render(diffLines('', 'a\nb')), '+a\n+b');
  assert.equal(render(diffLines('a\nb', '')), '-a\n-b');
  assert.equal(render(diffLines('', '')), '');
});

test('a diff too large for the bound says so instead of computing', () => {
  const many = (prefix) => Array.from({ length: 100 }, (_, i) => `${prefix}${i}`).join('\n');
  const bounded = diffLines(many('a'), many('b'), 1000);
  assert.equal(bounded.tooLarge, true);
  assert.deepEqual(bounded.lines, []);
  // The common head and tail do not count against the bound.
  const shared = many('s');
  const small = diffLines(`${shared}\nold\n${shared}`, `${shared}\nnew\n${shared}`, 10);
  assert.equal(small.tooLarge, false);
  assert.equal(small.added, 1);
  assert.equal(small.removed, 1);
});
