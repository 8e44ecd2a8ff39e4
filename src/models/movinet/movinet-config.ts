/**
 * The parts of the MoViNet-A0-Stream weights manifest's `config` that the builder reads (written
 * by tools/tflite/convert-movinet.ts from the TFLite graph), with a strict reader.
 */

/**
 * Per-tensor int8 quantization of one activation of the TFLite graph:
 * real = scale * (q - zeroPoint), q = clamp(round(real / scale) + zeroPoint, -128, 127).
 */
export interface ActivationQuantization {
  readonly scale: number;
  readonly zeroPoint: number;
}

/** Geometry of one 2D op of the graph, and how the graph quantizes its output. */
export interface MovinetOpSpec {
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: 'SAME' | 'VALID';
  readonly activation: 'relu6' | 'none';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly groups: number;
  readonly outputQuantization: ActivationQuantization;
}

/** The causal temporal depthwise conv of a layer, over [stream buffer ‖ current frame]. */
export interface MovinetTemporalSpec {
  /** Temporal kernel size; the stream buffer holds kernel - 1 frames. */
  readonly kernel: number;
  readonly activation: 'relu6' | 'none';
  readonly outputQuantization: ActivationQuantization;
  /** How the graph stores the stream buffer (the past spatial-conv outputs). */
  readonly bufferQuantization: ActivationQuantization;
}

/** One bottleneck layer: expand, spatial depthwise, optional causal temporal depthwise, project. */
export interface MovinetLayerSpec {
  readonly name: string;
  readonly inChannels: number;
  /** Inner (expanded) channels this layer computes: fewer than the dense layer's when pruned. */
  readonly expandChannels: number;
  readonly outChannels: number;
  /** Inner channels of the dense layer the weights were derived from (= expandChannels unless pruned). */
  readonly denseExpandChannels: number;
  /**
   * For a channel-pruned layer, the dense inner channels it keeps (ascending indices into the
   * dense layer's expandChannels; inner channel i here is dense channel keptChannels[i]); null
   * for a dense layer.
   */
  readonly keptChannels: readonly number[] | null;
  readonly expand: MovinetOpSpec;
  readonly spatial: MovinetOpSpec;
  /** The causal temporal depthwise conv, or null where the layer has none. */
  readonly temporal: MovinetTemporalSpec | null;
  readonly project: MovinetOpSpec;
  /** Output of the rezero multiply (the projection times the layer's constant). */
  readonly rezeroQuantization: ActivationQuantization;
  /** Average pool then 1x1 conv on the stride-2 layers; null for an identity residual. */
  readonly shortcut: { readonly pool: MovinetOpSpec; readonly conv: MovinetOpSpec } | null;
  /** Output of the residual add (the layer's output). */
  readonly residualQuantization: ActivationQuantization;
}

/** How the graph quantizes the head's pooling: spatial sum and mean, running sum, mean over time. */
export interface MovinetHeadPoolQuantization {
  /** The SUM over H x W of the head conv's output. */
  readonly spatialSum: ActivationQuantization;
  /** That sum times 1 / (H * W). */
  readonly spatialMean: ActivationQuantization;
  /** The running-sum state as it enters the graph (QUANTIZE of the float state). */
  readonly sumState: ActivationQuantization;
  /** The new running sum (ADD of state and spatial mean), which is the next state. */
  readonly sum: ActivationQuantization;
  /** The running sum divided by the frame count (QUANTIZE before the classifier). */
  readonly mean: ActivationQuantization;
}

/** The classification head. */
export interface MovinetHeadSpec {
  readonly channels: number;
  readonly hiddenChannels: number;
  readonly convQuantization: ActivationQuantization;
  readonly pool: MovinetHeadPoolQuantization;
  readonly hiddenQuantization: ActivationQuantization;
  readonly logitsQuantization: ActivationQuantization;
}

/** The whole network. */
export interface MovinetSpec {
  /**
   * True for weights that only run in float mode: a pruned variant computes other activations
   * than the dense graph, so the dense graph's int8 grids (outputQuantization) do not fit it.
   * Config key `floatOnly`, default false.
   */
  readonly floatOnly: boolean;
  readonly frameShape: readonly [number, number, number];
  readonly fps: number;
  readonly numClasses: number;
  /** How the graph quantizes the input frame (x / 255 - 128 for RGB in [0, 1]). */
  readonly inputQuantization: ActivationQuantization;
  readonly stem: MovinetOpSpec;
  readonly layers: readonly MovinetLayerSpec[];
  readonly head: MovinetHeadSpec;
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

function positive(value: unknown, path: string): number {
  const n = int(value, path);
  if (n < 1) fail(path, 'must be at least 1');
  return n;
}

function pair(value: unknown, path: string): readonly [number, number] {
  if (!Array.isArray(value) || value.length !== 2) fail(path, 'must be a pair of integers');
  return [positive(value[0], `${path}[0]`), positive(value[1], `${path}[1]`)];
}

/** An int8 activation quantization: a positive finite scale and an integer zero point in int8. */
function quantization(value: unknown, path: string): ActivationQuantization {
  const q = record(value, path);
  const { scale, zeroPoint } = q;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0)
    fail(`${path}.scale`, 'must be a positive number');
  if (
    typeof zeroPoint !== 'number' ||
    !Number.isInteger(zeroPoint) ||
    zeroPoint < -128 ||
    zeroPoint > 127
  )
    fail(`${path}.zeroPoint`, 'must be an integer in [-128, 127]');
  return { scale, zeroPoint };
}

function activation(value: unknown, path: string): 'relu6' | 'none' {
  const a = value ?? 'none';
  if (a !== 'relu6' && a !== 'none') fail(path, 'must be relu6 or none');
  return a;
}

function op(value: unknown, path: string): MovinetOpSpec {
  const o = record(value, path);
  const padding = o.padding ?? 'SAME';
  if (padding !== 'SAME' && padding !== 'VALID') fail(`${path}.padding`, 'must be SAME or VALID');
  return {
    kernel: pair(o.kernel, `${path}.kernel`),
    stride: pair(o.stride, `${path}.stride`),
    padding,
    activation: activation(o.activation, `${path}.activation`),
    inChannels: int(o.inChannels ?? 0, `${path}.inChannels`),
    outChannels: int(o.outChannels ?? 0, `${path}.outChannels`),
    groups: positive(o.groups ?? 1, `${path}.groups`),
    outputQuantization: quantization(o.outputQuantization, `${path}.outputQuantization`),
  };
}

function temporal(value: unknown, path: string): MovinetTemporalSpec | null {
  if (value === null) return null;
  const t = record(value, path);
  return {
    kernel: positive(t.kernel, `${path}.kernel`),
    activation: activation(t.activation, `${path}.activation`),
    outputQuantization: quantization(t.outputQuantization, `${path}.outputQuantization`),
    bufferQuantization: quantization(t.bufferQuantization, `${path}.bufferQuantization`),
  };
}

/**
 * The dense channels a pruned layer keeps: `expandChannels` strictly increasing indices below
 * `dense`; null (a dense layer) when the field is absent.
 */
function keptChannels(
  value: unknown,
  expandChannels: number,
  dense: number,
  path: string,
): readonly number[] | null {
  if (value === undefined || value === null) {
    if (dense !== expandChannels) fail(path, `must list the ${expandChannels} kept channels`);
    return null;
  }
  if (!Array.isArray(value) || value.length !== expandChannels)
    fail(path, `must list ${expandChannels} channels (expandChannels)`);
  let previous = -1;
  return value.map((v, i) => {
    const c = int(v, `${path}[${i}]`);
    if (c <= previous || c >= dense)
      fail(`${path}[${i}]`, `must be increasing and below denseExpandChannels ${dense}`);
    previous = c;
    return c;
  });
}

/** The inner width that every op of a bottleneck must agree on (what pruning changes). */
function checkInnerWidth(spec: MovinetLayerSpec, path: string): void {
  const k = spec.expandChannels;
  const widths: [string, number][] = [
    ['expand.outChannels', spec.expand.outChannels],
    ['spatial.inChannels', spec.spatial.inChannels],
    ['spatial.outChannels', spec.spatial.outChannels],
    ['spatial.groups', spec.spatial.groups],
    ['project.inChannels', spec.project.inChannels],
  ];
  for (const [key, width] of widths) {
    if (width !== k) fail(`${path}.${key}`, `is ${width}, not expandChannels ${k}`);
  }
}

function layer(raw: unknown, path: string): MovinetLayerSpec {
  const l = record(raw, path);
  if (typeof l.name !== 'string' || l.name === '')
    fail(`${path}.name`, 'must be a non-empty string');
  const shortcut = l.shortcut === null ? null : record(l.shortcut, `${path}.shortcut`);
  const expandChannels = positive(l.expandChannels, `${path}.expandChannels`);
  const denseExpandChannels = positive(
    l.denseExpandChannels ?? expandChannels,
    `${path}.denseExpandChannels`,
  );
  const spec: MovinetLayerSpec = {
    name: l.name,
    inChannels: positive(l.inChannels, `${path}.inChannels`),
    expandChannels,
    outChannels: positive(l.outChannels, `${path}.outChannels`),
    denseExpandChannels,
    keptChannels: keptChannels(
      l.keptChannels,
      expandChannels,
      denseExpandChannels,
      `${path}.keptChannels`,
    ),
    expand: op(l.expand, `${path}.expand`),
    spatial: op(l.spatial, `${path}.spatial`),
    temporal: temporal(l.temporal, `${path}.temporal`),
    project: op(l.project, `${path}.project`),
    rezeroQuantization: quantization(
      record(l.rezero, `${path}.rezero`).outputQuantization,
      `${path}.rezero.outputQuantization`,
    ),
    shortcut:
      shortcut === null
        ? null
        : {
            pool: op(shortcut.pool, `${path}.shortcut.pool`),
            conv: op(shortcut.conv, `${path}.shortcut.conv`),
          },
    residualQuantization: quantization(
      record(l.residual, `${path}.residual`).outputQuantization,
      `${path}.residual.outputQuantization`,
    ),
  };
  checkInnerWidth(spec, path);
  return spec;
}

function head(value: unknown): MovinetHeadSpec {
  const h = record(value, 'config.head');
  const conv = record(h.conv, 'config.head.conv');
  const pool = record(h.pool, 'config.head.pool');
  const hidden = record(h.hidden, 'config.head.hidden');
  const logits = record(h.logits, 'config.head.logits');
  const poolQ = (key: string) => quantization(pool[key], `config.head.pool.${key}`);
  return {
    channels: positive(conv.outChannels, 'config.head.conv.outChannels'),
    hiddenChannels: positive(hidden.outChannels, 'config.head.hidden.outChannels'),
    convQuantization: quantization(conv.outputQuantization, 'config.head.conv.outputQuantization'),
    pool: {
      spatialSum: poolQ('spatialSumQuantization'),
      spatialMean: poolQ('spatialMeanQuantization'),
      sumState: poolQ('sumStateQuantization'),
      sum: poolQ('sumQuantization'),
      mean: poolQ('meanQuantization'),
    },
    hiddenQuantization: quantization(
      hidden.outputQuantization,
      'config.head.hidden.outputQuantization',
    ),
    logitsQuantization: quantization(
      logits.outputQuantization,
      'config.head.logits.outputQuantization',
    ),
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
  const floatOnly = c.floatOnly ?? false;
  if (typeof floatOnly !== 'boolean') fail('config.floatOnly', 'must be true or false');
  return {
    floatOnly,
    frameShape: [
      positive(frame[0], 'config.input.frameShape[0]'),
      positive(frame[1], 'config.input.frameShape[1]'),
      positive(frame[2], 'config.input.frameShape[2]'),
    ],
    fps: positive(input.fps, 'config.input.fps'),
    numClasses: positive(c.numClasses, 'config.numClasses'),
    inputQuantization: quantization(input.quantization, 'config.input.quantization'),
    stem: op(c.stem, 'config.stem'),
    layers: layersIn.map((raw, i) => layer(raw, `config.layers[${i}]`)),
    head: head(c.head),
  };
}
