/**
 * SPLoRA, the Structured Pruning Low-rank Adapter (Hedegaard et al., "Structured Pruning
 * Adapters", 2023, arXiv 2211.10155), for the pruned convs of a MoViNet bottleneck.
 *
 * The pretrained weight W stays frozen; beside it the adapter learns a low-rank update and a
 * bias update, and inference uses the fused weight W' = W + B A (and b' = b + delta_b), so the
 * adapted network costs exactly what the pruned one costs.
 * - A 1x1 conv or linear layer of din inputs and dout outputs (expand, project): A is
 *   [rank, din], B is [dout, rank]; in our [din, dout] kernel layout the update is (B A)^T.
 *   For a k x k conv the SPA paper adds the cout x (cin / groups) matrix B A to the kernel's
 *   centre tap only (a 1x1 conv fused into the k x k one).
 * - Structured pruning masks the rows of B of pruned output channels and the columns of A of
 *   pruned input channels (SPA, section 3). We prune first and adapt the compact layer, so the
 *   masked entries simply do not exist and every stored adapter value is learned.
 * - Depthwise convs (spatial k x k, causal temporal kt x 1 x 1): cin / groups = 1, so the
 *   paper's centre-tap matrix B A is C x 1, one value per channel whatever the rank. We store it
 *   as that vector delta (C values) added to the centre tap: the middle tap of the spatial
 *   kernel, and the current-frame tap (kt - 1) of the causal temporal kernel, the causal
 *   counterpart of a 1x1x1 conv.
 *
 * Initialisation follows the paper's reference implementation (the sp_adapters package): A
 * uniform in +-1 / sqrt(rank * din) (Kaiming-uniform with a = sqrt(5)), B and the bias update
 * uniform in +-initRange (default 1e-4), so the adapted network starts within ~1e-4 of the
 * pruned one. Depthwise deltas use +-initRange too.
 *
 * Learned parameters (what training updates and what would be stored as the adapter):
 *   pointwise: rank * (din + dout) + dout        depthwise: 2 * C (delta and bias update)
 * A bottleneck with k kept inner channels, cin inputs and cout outputs therefore learns
 *   rank * (cin + 2k + cout) + k + cout + 2k + (2k if it has a temporal conv)
 * = expand [rank (cin + k) + k] + spatial [2k] + temporal [2k] + project [rank (k + cout) + cout].
 */
import type { MovinetLayerSpec, MovinetSpec } from '../movinet/movinet-config';
import { SeededRandom } from '../seeded-weights';

/** Default range of B and the bias updates at initialisation (sp_adapters' default). */
export const SPLORA_INIT_RANGE = 1e-4;

/** The adapter of a 1x1 conv / linear layer. */
export interface PointwiseAdapter {
  readonly din: number;
  readonly dout: number;
  readonly rank: number;
  /** A: [rank, din], row-major. */
  readonly a: Float32Array;
  /** B: [dout, rank], row-major. */
  readonly b: Float32Array;
  /** delta_b: [dout]. */
  readonly bias: Float32Array;
}

/** The adapter of a depthwise conv: one centre-tap value and one bias update per channel. */
export interface DepthwiseAdapter {
  readonly channels: number;
  readonly delta: Float32Array;
  readonly bias: Float32Array;
}

/** The adapters of one bottleneck. */
export interface BottleneckAdapters {
  readonly expand: PointwiseAdapter;
  readonly spatial: DepthwiseAdapter;
  readonly temporal: DepthwiseAdapter | null;
  readonly project: PointwiseAdapter;
}

function checkPositive(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`SPLoRA: ${name} must be a positive integer, got ${value}.`);
  }
}

/** A freshly initialised pointwise adapter (see the file comment for the distributions). */
export function initPointwiseAdapter(
  din: number,
  dout: number,
  rank: number,
  rng: SeededRandom,
  initRange = SPLORA_INIT_RANGE,
): PointwiseAdapter {
  checkPositive('din', din);
  checkPositive('dout', dout);
  checkPositive('rank', rank);
  if (!(initRange > 0)) throw new Error(`SPLoRA: initRange must be positive, got ${initRange}.`);
  const bound = 1 / Math.sqrt(rank * din);
  return {
    din,
    dout,
    rank,
    a: rng.uniformArray(rank * din, -bound, bound),
    b: rng.uniformArray(dout * rank, -initRange, initRange),
    bias: rng.uniformArray(dout, -initRange, initRange),
  };
}

/** A freshly initialised depthwise adapter. */
export function initDepthwiseAdapter(
  channels: number,
  rng: SeededRandom,
  initRange = SPLORA_INIT_RANGE,
): DepthwiseAdapter {
  checkPositive('channels', channels);
  if (!(initRange > 0)) throw new Error(`SPLoRA: initRange must be positive, got ${initRange}.`);
  return {
    channels,
    delta: rng.uniformArray(channels, -initRange, initRange),
    bias: rng.uniformArray(channels, -initRange, initRange),
  };
}

/** Adapters for every conv of a (pruned) bottleneck, drawn from `rng` in a fixed order. */
export function initBottleneckAdapters(
  layer: MovinetLayerSpec,
  rank: number,
  rng: SeededRandom,
  initRange = SPLORA_INIT_RANGE,
): BottleneckAdapters {
  const k = layer.expandChannels;
  return {
    expand: initPointwiseAdapter(layer.inChannels, k, rank, rng, initRange),
    spatial: initDepthwiseAdapter(k, rng, initRange),
    temporal: layer.temporal === null ? null : initDepthwiseAdapter(k, rng, initRange),
    project: initPointwiseAdapter(k, layer.outChannels, rank, rng, initRange),
  };
}

/**
 * W' = W + (B A)^T for a kernel stored [din, dout] (row-major, any leading 1s), and
 * b' = b + delta_b. Accumulates in float64; returns new arrays.
 */
export function fusePointwise(
  kernel: Float32Array,
  bias: Float32Array,
  adapter: PointwiseAdapter,
): { kernel: Float32Array; bias: Float32Array } {
  const { din, dout, rank, a, b } = adapter;
  if (kernel.length !== din * dout || bias.length !== dout) {
    throw new Error(
      `SPLoRA: a [${din}, ${dout}] adapter does not fit a kernel of ${kernel.length} and a bias of ${bias.length} values.`,
    );
  }
  const fused = new Float32Array(din * dout);
  for (let i = 0; i < din; i++) {
    for (let o = 0; o < dout; o++) {
      let s = 0;
      for (let r = 0; r < rank; r++) s += (b[o * rank + r] ?? 0) * (a[r * din + i] ?? 0);
      fused[i * dout + o] = (kernel[i * dout + o] ?? 0) + s;
    }
  }
  return { kernel: fused, bias: bias.map((v, o) => v + (adapter.bias[o] ?? 0)) };
}

/**
 * Adds delta to tap `tap` of a depthwise kernel stored [taps..., C] (row-major: tap t of
 * channel c at t * C + c) and delta_b to the bias. Returns new arrays.
 */
export function fuseDepthwise(
  kernel: Float32Array,
  bias: Float32Array,
  tap: number,
  adapter: DepthwiseAdapter,
): { kernel: Float32Array; bias: Float32Array } {
  const c = adapter.channels;
  if (bias.length !== c || kernel.length % c !== 0) {
    throw new Error(
      `SPLoRA: a ${c}-channel adapter does not fit a kernel of ${kernel.length} and a bias of ${bias.length} values.`,
    );
  }
  const taps = kernel.length / c;
  if (!Number.isInteger(tap) || tap < 0 || tap >= taps) {
    throw new Error(`SPLoRA: tap ${tap} outside the kernel's ${taps} taps.`);
  }
  const fused = Float32Array.from(kernel);
  for (let ch = 0; ch < c; ch++)
    fused[tap * c + ch] = (fused[tap * c + ch] ?? 0) + (adapter.delta[ch] ?? 0);
  return { kernel: fused, bias: bias.map((v, ch) => v + (adapter.bias[ch] ?? 0)) };
}

/** The centre tap of a kh x kw spatial kernel (row-major taps): where SPLoRA adds its update. */
export function spatialCentreTap(kh: number, kw: number): number {
  return Math.floor(kh / 2) * kw + Math.floor(kw / 2);
}

/** Learned parameters of a pointwise adapter: rank * (din + dout) + dout. */
export function pointwiseAdapterParams(din: number, dout: number, rank: number): number {
  return rank * (din + dout) + dout;
}

/** Learned parameters of a depthwise adapter: 2 * channels. */
export function depthwiseAdapterParams(channels: number): number {
  return 2 * channels;
}

/** Learned parameters of a bottleneck's adapters (formula in the file comment). */
export function bottleneckAdapterParams(layer: MovinetLayerSpec, rank: number): number {
  const k = layer.expandChannels;
  return (
    pointwiseAdapterParams(layer.inChannels, k, rank) +
    depthwiseAdapterParams(k) +
    (layer.temporal === null ? 0 : depthwiseAdapterParams(k)) +
    pointwiseAdapterParams(k, layer.outChannels, rank)
  );
}

/** Learned parameters of SPLoRA over every bottleneck of a (pruned) network. */
export function networkAdapterParams(spec: MovinetSpec, rank: number): number {
  return spec.layers.reduce((n, l) => n + bottleneckAdapterParams(l, rank), 0);
}

/** Number of values of a set of adapters (equals {@link bottleneckAdapterParams} for its layer). */
export function adapterValueCount(adapters: BottleneckAdapters): number {
  const pw = (p: PointwiseAdapter) => p.a.length + p.b.length + p.bias.length;
  const dw = (d: DepthwiseAdapter | null) => (d === null ? 0 : d.delta.length + d.bias.length);
  return pw(adapters.expand) + dw(adapters.spatial) + dw(adapters.temporal) + pw(adapters.project);
}

/**
 * The tensors of a network with one bottleneck's adapters fused in: expand and project kernels
 * and biases, the spatial kernel's centre tap and the temporal kernel's current-frame tap, and
 * their biases. Other tensors are shared unchanged. `tensors` must hold the layer's (compact)
 * weights.
 */
export function fuseBottleneckAdapters(
  tensors: ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: Float32Array }>,
  layer: MovinetLayerSpec,
  adapters: BottleneckAdapters,
): Map<string, { readonly shape: readonly number[]; readonly data: Float32Array }> {
  const out = new Map(tensors);
  const p = layer.name;
  const get = (name: string) => {
    const t = tensors.get(`${p}/${name}`);
    if (t === undefined) throw new Error(`SPLoRA: no tensor "${p}/${name}" to fuse into.`);
    return t;
  };
  const put = (
    part: string,
    kernel: { readonly shape: readonly number[] },
    fused: { kernel: Float32Array; bias: Float32Array },
  ) => {
    out.set(`${p}/${part}/kernel`, { shape: kernel.shape, data: fused.kernel });
    out.set(`${p}/${part}/bias`, { shape: [fused.bias.length], data: fused.bias });
  };
  for (const part of ['expand', 'project'] as const) {
    const kernel = get(`${part}/kernel`);
    put(part, kernel, fusePointwise(kernel.data, get(`${part}/bias`).data, adapters[part]));
  }
  const spatial = get('spatial/kernel');
  const [kh, kw] = layer.spatial.kernel;
  put(
    'spatial',
    spatial,
    fuseDepthwise(
      spatial.data,
      get('spatial/bias').data,
      spatialCentreTap(kh, kw),
      adapters.spatial,
    ),
  );
  if (layer.temporal !== null) {
    if (adapters.temporal === null)
      throw new Error(`SPLoRA: ${p} has a temporal conv but no adapter for it.`);
    const temporal = get('temporal/kernel');
    put(
      'temporal',
      temporal,
      fuseDepthwise(
        temporal.data,
        get('temporal/bias').data,
        layer.temporal.kernel - 1,
        adapters.temporal,
      ),
    );
  }
  return out;
}
