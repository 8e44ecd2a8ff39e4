/** The FLOP table's rows (flop-rows.ts) as aligned plain text, for `npm run flops`. */
import type { FlopRow } from './flop-rows';

function fixed(value: number | null, digits: number): string {
  return value === null ? '-' : value.toFixed(digits);
}

/** The rows as an aligned plain-text table: a header, a rule, one line per row. */
export function formatTable(rows: readonly FlopRow[]): string {
  const header = [
    'model',
    'T x H x W',
    'params (M)',
    'GFLOPs/clip',
    'GFLOPs/step',
    'ratio',
    '+elementwise clip',
    '+elementwise step',
    'delay',
    'rf',
    'paper clip',
    'paper params',
    'CoX3D paper clip/step',
  ];
  const body = rows.map((r) => [
    `${r.id} / ${r.continualId}`,
    `${r.input.frames}x${r.input.height}x${r.input.width}`,
    fixed(r.params / 1e6, 3),
    fixed(r.gflopsPerClip, 3),
    fixed(r.gflopsPerStep, 4),
    fixed(r.ratio, 1),
    fixed(r.gflopsPerClipWithElementwise, 3),
    fixed(r.gflopsPerStepWithElementwise, 4),
    String(r.delay),
    String(r.receptiveField),
    fixed(r.published.gflopsPerClip, 2),
    fixed(r.published.paramsMillions, 2),
    r.published.coX3dPaperClipGflops === null
      ? '-'
      : `${fixed(r.published.coX3dPaperClipGflops, 2)} / ${fixed(r.published.coX3dPaperStepGflops, 2)}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
