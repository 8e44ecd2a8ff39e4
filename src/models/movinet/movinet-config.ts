/**
 * The parts of the MoViNet-A0-Stream weights manifest's `config` that the builder reads (written
 * by tools/tflite/convert-movinet.ts from the TFLite graph), with a strict reader.
 */

/** Geometry of one 2D op of the graph. */
export interface MovinetOpSpec {
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: 'SAME' | 'VALID';
  readonly activation: 'relu6' | 'none';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly groups: number;
}

/** One bottleneck layer: expand, spatial depthwise, optional causal temporal depthwise, project. */
export interface MovinetLayerSpec {
  readonly name: string;
  readonly inChannels: number;
  readonly expandChannels: number;
  readonly outChannels: number;
  readonly expand: MovinetOpSpec;
  readonly spatial: MovinetOpSpec;
  /** Temporal kernel size (causal depthwise), or null where the layer has none. */
  readonly temporalKernel: number | null;
  readonly project: MovinetOpSpec;
  /** Average pool then 1x1 conv on the stride-2 layers; null for an identity residual. */
  readonly shortcut: { readonly pool: MovinetOpSpec; readonly conv: MovinetOpSpec } | null;
}

/** The whole network. */
export interface MovinetSpec {
  readonly frameShape: readonly [number, number, number];
  readonly fps: number;
  readonly numClasses: number;
  readonly stem: MovinetOpSpec;
  readonly layers: readonly MovinetLayerSpec[];
  readonly headChannels: number;
  readonly hiddenChannels: number;
}

function fail(path: string, what: string): never {
  throw new Error(`MoViNet config: ${path} ${what}.`);
}

function record(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(path, 'must be an object');
  return value as Record<string, unknown>;
}

function int(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    fail(path, 'must be a non-negative integer');
  return value;
}

function pair(value: unknown, path: string): readonly [number, number] {
  if (!Array.isArray(value) || value.length !== 2) fail(path, 'must be a pair of integers');
  return [int(value[0], `${path}[0]`), int(value[1], `${path}[1]`)];
}

function op(value: unknown, path: string): MovinetOpSpec {
  const o = record(value, path);
  const padding = o.padding ?? 'SAME';
  if (padding !== 'SAME' && padding !== 'VALID') fail(`${path}.padding`, 'must be SAME or VALID');
  const activation = o.activation ?? 'none';
  if (activation !== 'relu6' && activation !== 'none')
    fail(`${path}.activation`, 'must be relu6 or none');
  return {
    kernel: pair(o.kernel, `${path}.kernel`),
    stride: pair(o.stride, `${path}.stride`),
    padding,
    activation,
    inChannels: int(o.inChannels ?? 0, `${path}.inChannels`),
    outChannels: int(o.outChannels ?? 0, `${path}.outChannels`),
    groups: int(o.groups ?? 1, `${path}.groups`),
  };
}

/** Reads and checks the builder's view of the manifest config; throws a clear error on a mismatch. */
export function parseMovinetConfig(config: unknown): MovinetSpec {
  const c = record(config, 'config');
  const input = record(c.input, 'config.input');
  const frame = input.frameShape;
  if (!Array.isArray(frame) || frame.length !== 3)
    fail('config.input.frameShape', 'must be [H, W, C]');
  const layersIn = c.layers;
  if (!Array.isArray(layersIn) || layersIn.length === 0)
    fail('config.layers', 'must be a non-empty array');
  const layers = layersIn.map((raw, i): MovinetLayerSpec => {
    const path = `config.layers[${i}]`;
    const l = record(raw, path);
    if (typeof l.name !== 'string') fail(`${path}.name`, 'must be a string');
    const temporal = l.temporal === null ? null : record(l.temporal, `${path}.temporal`);
    const shortcut = l.shortcut === null ? null : record(l.shortcut, `${path}.shortcut`);
    return {
      name: l.name,
      inChannels: int(l.inChannels, `${path}.inChannels`),
      expandChannels: int(l.expandChannels, `${path}.expandChannels`),
      outChannels: int(l.outChannels, `${path}.outChannels`),
      expand: op(l.expand, `${path}.expand`),
      spatial: op(l.spatial, `${path}.spatial`),
      temporalKernel: temporal === null ? null : temporalKernel(temporal, `${path}.temporal`),
      project: op(l.project, `${path}.project`),
      shortcut:
        shortcut === null
          ? null
          : {
              pool: op(shortcut.pool, `${path}.shortcut.pool`),
              conv: op(shortcut.conv, `${path}.shortcut.conv`),
            },
    };
  });
  const head = record(c.head, 'config.head');
  return {
    frameShape: [
      int(frame[0], 'frameShape[0]'),
      int(frame[1], 'frameShape[1]'),
      int(frame[2], 'frameShape[2]'),
    ],
    fps: int(input.fps, 'config.input.fps'),
    numClasses: int(c.numClasses, 'config.numClasses'),
    stem: op(c.stem, 'config.stem'),
    layers,
    headChannels: int(
      record(head.conv, 'config.head.conv').outChannels,
      'config.head.conv.outChannels',
    ),
    hiddenChannels: int(
      record(head.hidden, 'config.head.hidden').outChannels,
      'config.head.hidden.outChannels',
    ),
  };
}

function temporalKernel(t: Record<string, unknown>, path: string): number {
  const kernel = int(t.kernel, `${path}.kernel`);
  if (kernel < 1) fail(`${path}.kernel`, 'must be at least 1');
  return kernel;
}
