/**
 * A small, deterministic unified diff (Myers' O(ND) algorithm on lines). Pure: the same two texts always give the same
 * diff, so plans are reproducible and can be compared in tests and CI logs.
 */

type Op = { kind: ' ' | '-' | '+'; line: string };

/** Splits text into lines; a missing final newline is marked the way diff(1) does. */
function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  else lines[lines.length - 1] += '\n\\ No newline at end of file';
  return lines;
}

/** The shortest edit script between a and b (Myers), as a sequence of kept, removed and added lines. */
export function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max;
  const v = new Int32Array(2 * max + 2);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1])) x = v[offset + k + 1];
      else x = v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  // Backtrack through the saved frontiers to recover the path.
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d];
    const k = x - y;
    let prevK: number;
    if (k === -d || (k !== d && vd[offset + k - 1] < vd[offset + k + 1])) prevK = k + 1;
    else prevK = k - 1;
    const prevX = vd[offset + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ kind: ' ', line: a[x - 1] });
      x--;
      y--;
    }
    if (d > 0) {
      if (x === prevX) ops.push({ kind: '+', line: b[y - 1] });
      else ops.push({ kind: '-', line: a[x - 1] });
    }
    x = prevX;
    y = prevY;
  }
  return ops.reverse();
}

/**
 * A unified diff of two texts (`--- a/path`, `+++ b/path`, hunks with `context` lines around changes), or '' when they
 * are equal. `null` stands for a file that does not exist (shown as /dev/null, as git does).
 */
export function unifiedDiff(path: string, before: string | null, after: string | null, context = 3): string {
  if (before === after) return '';
  const a = splitLines(before ?? '');
  const b = splitLines(after ?? '');
  const ops = diffLines(a, b);
  const header = [`--- ${before === null ? '/dev/null' : `a${path.startsWith('/') ? '' : '/'}${path}`}`, `+++ ${after === null ? '/dev/null' : `b${path.startsWith('/') ? '' : '/'}${path}`}`];
  const out: string[] = [];
  // Line numbers (1-based) of each op in a and b.
  const posA: number[] = [];
  const posB: number[] = [];
  let ia = 0;
  let ib = 0;
  for (const op of ops) {
    posA.push(ia);
    posB.push(ib);
    if (op.kind !== '+') ia++;
    if (op.kind !== '-') ib++;
  }
  let i = 0;
  while (i < ops.length) {
    if (ops[i].kind === ' ') {
      i++;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` lines after the last change closer than 2*context.
    const start = Math.max(0, i - context);
    let end = i;
    let j = i;
    while (j < ops.length) {
      if (ops[j].kind !== ' ') {
        end = j;
        j++;
        continue;
      }
      let k = j;
      while (k < ops.length && ops[k].kind === ' ') k++;
      if (k < ops.length && k - j <= 2 * context) {
        j = k;
        continue;
      }
      break;
    }
    const stop = Math.min(ops.length, end + context + 1);
    const slice = ops.slice(start, stop);
    const countA = slice.filter((o) => o.kind !== '+').length;
    const countB = slice.filter((o) => o.kind !== '-').length;
    const startA = countA === 0 ? posA[start] : posA[start] + 1;
    const startB = countB === 0 ? posB[start] : posB[start] + 1;
    out.push(`@@ -${startA}${countA === 1 ? '' : `,${countA}`} +${startB}${countB === 1 ? '' : `,${countB}`} @@`);
    for (const o of slice) out.push(o.kind + o.line);
    i = stop;
  }
  return [...header, ...out].join('\n') + '\n';
}
