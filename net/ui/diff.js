// A line diff of two code versions (the service page's "compare"): the
// longest common subsequence of lines, after the common head and tail are set
// aside. Bounded: when the middle parts would need more than MAX_CELLS table
// cells, the answer is {tooLarge: true} instead of a slow page. Pure, tested
// by tests/ui/diff.test.mjs.

export const MAX_CELLS = 4_000_000;

function splitLines(text) {
  if (text === '') return [];
  const lines = String(text).split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

// diffLines(old, new) -> {tooLarge: false, lines: [{op: ' '|'-'|'+', text}],
// added, removed}; with maxCells a smaller bound (for the tests).
export function diffLines(oldText, newText, maxCells = MAX_CELLS) {
  const a = splitLines(oldText);
  const b = splitLines(newText);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const n = midA.length;
  const m = midB.length;
  if ((n + 1) * (m + 1) > maxCells) return { tooLarge: true, lines: [], added: 0, removed: 0 };

  // lcs[i][j]: the LCS length of midA[i..] and midB[j..], one flat array.
  const width = m + 1;
  const lcs = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] = midA[i] === midB[j] ? lcs[(i + 1) * width + j + 1] + 1
        : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
    }
  }
  const lines = a.slice(0, head).map((text) => ({ op: ' ', text }));
  let added = 0;
  let removed = 0;
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && midA[i] === midB[j]) {
      lines.push({ op: ' ', text: midA[i] });
      i++;
      j++;
    } else if (i < n && (j === m || lcs[(i + 1) * width + j] >= lcs[i * width + j + 1])) {
      // Removals before additions, as unified diffs show them.
      lines.push({ op: '-', text: midA[i] });
      removed++;
      i++;
    } else {
      lines.push({ op: '+', text: midB[j] });
      added++;
      j++;
    }
  }
  for (const text of a.slice(a.length - tail)) lines.push({ op: ' ', text });
  return { tooLarge: false, lines, added, removed };
}
