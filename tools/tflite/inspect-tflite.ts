/**
 * Prints a .tflite model as text: a summary, the signature, and every operator with its
 * options and its tensors (name, type, shape, quantization, constant data):
 *
 *   npx tsx tools/tflite/inspect-tflite.ts <model.tflite> [--out graph.txt]
 *
 * tools/tflite/movinet-a0-graph.txt is this tool's output for MoViNet-A0-Stream.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { int32Values } from './dequantize';
import { readTflite } from './read-tflite';
import type { OperatorOptions, TfliteModel, TfliteTensor } from './tflite-schema';

/** Number with 6 significant digits, as in the committed graph listing. */
function num(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(6);
}

function quantText(t: TfliteTensor): string {
  const q = t.quantization;
  if (q === null) return '';
  if (q.scale.length === 1) return ` q(scale ${num(q.scale[0] ?? 0)}, zp ${q.zeroPoint[0]})`;
  const lo = Math.min(...q.scale);
  const hi = Math.max(...q.scale);
  const zps = [...new Set(q.zeroPoint)].join('|');
  return ` q(${q.scale.length} scales ${num(lo)}..${num(hi)} on axis ${q.quantizedDimension}, zp ${zps})`;
}

function constText(model: TfliteModel, t: TfliteTensor): string {
  const bytes = model.buffers[t.buffer];
  if (bytes === undefined || bytes.length === 0) return '';
  // Small int32 constants are shapes, axes or slice bounds: their values explain the op.
  if (t.type === 'INT32' && bytes.length <= 32) {
    return ` const=[${Array.from(int32Values(model, t)).join(',')}]`;
  }
  return ` const(buffer ${t.buffer}, ${bytes.length} B)`;
}

function tensorText(model: TfliteModel, index: number): string {
  if (index < 0) return '(none)';
  const t = model.subgraphs[0]?.tensors[index];
  if (t === undefined) return `#${index} (missing)`;
  // The MLIR converter joins the names of fused ops with ';': the first is the most specific.
  const names = t.name.split(';');
  const fused = names.length > 1 ? ` (+${names.length - 1} fused names)` : '';
  return `#${index} ${names[0]}${fused} ${t.type}[${t.shape.join(',')}]${quantText(t)}${constText(model, t)}`;
}

function optionsText(o: OperatorOptions): string {
  switch (o.kind) {
    case 'None':
      return '';
    case 'Other':
      return ` options(type ${o.type})`;
    case 'Conv2D':
      return ` ${o.padding} stride ${o.strideH}x${o.strideW} dilation ${o.dilationH}x${o.dilationW} act ${o.activation}`;
    case 'DepthwiseConv2D':
      return ` ${o.padding} stride ${o.strideH}x${o.strideW} dilation ${o.dilationH}x${o.dilationW} multiplier ${o.depthMultiplier} act ${o.activation}`;
    case 'Pool2D':
      return ` ${o.padding} filter ${o.filterH}x${o.filterW} stride ${o.strideH}x${o.strideW} act ${o.activation}`;
    case 'Concatenation':
      return ` axis ${o.axis} act ${o.activation}`;
    case 'Add':
    case 'Mul':
    case 'Div':
      return ` act ${o.activation}`;
    case 'Reshape':
      return o.newShape === null ? '' : ` new_shape [${o.newShape.join(',')}]`;
    case 'Reducer':
      return ` keep_dims ${o.keepDims}`;
    case 'StridedSlice':
      return ` begin_mask ${o.beginMask} end_mask ${o.endMask} ellipsis_mask ${o.ellipsisMask} new_axis_mask ${o.newAxisMask} shrink_axis_mask ${o.shrinkAxisMask}${o.offset ? ' offset' : ''}`;
    case 'Cast':
      return ` ${o.inType} -> ${o.outType}`;
  }
}

/** The text listing of a model (deterministic, for committing). */
export function formatTflite(model: TfliteModel, title = 'model'): string {
  const lines: string[] = [];
  const sg = model.subgraphs[0];
  if (sg === undefined) return `${title}: no subgraph\n`;
  const histogram = new Map<string, number>();
  for (const op of sg.operators) histogram.set(op.opcode, (histogram.get(op.opcode) ?? 0) + 1);
  const sorted = [...histogram].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  lines.push(`# ${title}`);
  lines.push(`schema version ${model.version}; description "${model.description}"`);
  lines.push(
    `${model.subgraphs.length} subgraph(s); subgraph 0: ${sg.operators.length} ops, ${sg.tensors.length} tensors; ${model.buffers.length} buffers`,
  );
  lines.push(`metadata: ${model.metadata.map((m) => `${m.name} (buffer ${m.buffer})`).join(', ')}`);
  lines.push(`ops: ${sorted.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  for (const sig of model.signatureDefs) {
    lines.push('');
    lines.push(`## signature "${sig.key}" (subgraph ${sig.subgraphIndex})`);
    for (const e of sig.inputs) lines.push(`input  ${e.name}: ${tensorText(model, e.tensorIndex)}`);
    for (const e of sig.outputs)
      lines.push(`output ${e.name}: ${tensorText(model, e.tensorIndex)}`);
  }
  lines.push('');
  lines.push('## operators (execution order)');
  for (const op of sg.operators) {
    lines.push(`${op.index} ${op.opcode}${optionsText(op.options)}`);
    for (const i of op.inputs) lines.push(`    in  ${tensorText(model, i)}`);
    for (const o of op.outputs) lines.push(`    out ${tensorText(model, o)}`);
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const out = outAt >= 0 ? args[outAt + 1] : undefined;
  const file = args.find((a, i) => !a.startsWith('--') && i !== outAt + 1);
  if (file === undefined || (outAt >= 0 && out === undefined)) {
    throw new Error('usage: inspect-tflite.ts <model.tflite> [--out graph.txt]');
  }
  const text = formatTflite(readTflite(new Uint8Array(await readFile(file))), basename(file));
  if (out === undefined) process.stdout.write(text);
  else await writeFile(out, text);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
