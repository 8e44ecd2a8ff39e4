/**
 * The bottleneck's ops (src/models/adapters/bottleneck-clip.ts, BottleneckOps) with forward and
 * gradients written as plain loops over typed arrays, for training on the tfjs cpu backend in
 * Node. tfjs-backend-cpu 4.22 computes some of these gradients very slowly: measured here on
 * [32, 64, 64, 12], the depthwise 5x5 filter gradient takes 1.7 s and a 3x3 conv's gradients
 * 3.1 s; a slice of a non-contiguous range (the temporal conv's taps) 0.27 s per 650k values;
 * ReLU6's gradient 0.35 s per 1.5M. The loops here take a few tens of milliseconds.
 * They read tensors back synchronously (dataSync), so they are for the cpu backend only; they
 * compute what TFJS_OPS computes (asserted in cpu-grad-ops.node.test.ts, values and gradients).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BottleneckOps } from '../../src/models/adapters/bottleneck-clip';

/** TF SAME / VALID output size and leading pad of one spatial axis. */
export function samePadding(
  size: number,
  kernel: number,
  stride: number,
  padding: 'same' | 'valid',
): { out: number; before: number } {
  if (padding === 'valid') return { out: Math.floor((size - kernel) / stride) + 1, before: 0 };
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  return { out, before: Math.floor(total / 2) };
}

/** The argument tf.customGrad takes (its own type is not exported by tfjs-core). */
type CustomGradArg = Parameters<typeof tf.customGrad>[0];

/** A custom-gradient body with named tensor arguments, typed as tf.customGrad expects. */
function body(
  f: (...args: never[]) => {
    value: tf.Tensor;
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];
  },
): CustomGradArg {
  return f as unknown as CustomGradArg;
}

function floats(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}

/** min(max(x, 0), 6), gradient 1 strictly inside (0, 6) (as tfjs' Relu6 gradient). */
export const relu6 = tf.customGrad(
  body((x: tf.Tensor, save: tf.GradSaveFunc) => {
    const xs = floats(x);
    const out = new Float32Array(xs.length);
    for (let i = 0; i < xs.length; i++) {
      const v = xs[i] ?? 0;
      out[i] = v < 0 ? 0 : v > 6 ? 6 : v;
    }
    save([x]);
    return {
      value: tf.tensor(out, x.shape),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const xv = floats(saved[0] as tf.Tensor);
        const d = floats(dy);
        const dx = new Float32Array(xv.length);
        for (let i = 0; i < xv.length; i++) {
          const v = xv[i] ?? 0;
          dx[i] = v > 0 && v < 6 ? (d[i] ?? 0) : 0;
        }
        return [tf.tensor(dx, dy.shape)];
      },
    };
  }),
) as (x: tf.Tensor) => tf.Tensor;

interface DepthwiseGeometry {
  readonly n: number;
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly ho: number;
  readonly wo: number;
  readonly top: number;
  readonly left: number;
}

function geometry(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  stride: readonly [number, number],
  padding: 'same' | 'valid',
): DepthwiseGeometry {
  const [n, h, w, c] = x.shape;
  const [kh, kw, fc, m] = filter.shape;
  if (fc !== c || m !== 1) throw new Error(`depthwise: filter [${filter.shape}] for ${c} channels`);
  const [sh, sw] = stride;
  const rows = samePadding(h, kh, sh, padding);
  const cols = samePadding(w, kw, sw, padding);
  return {
    n,
    h,
    w,
    c,
    kh,
    kw,
    sh,
    sw,
    ho: rows.out,
    wo: cols.out,
    top: rows.before,
    left: cols.before,
  };
}

/**
 * Visits every (output pixel, tap) pair whose input pixel lies inside the frame, with the
 * offsets of the output, input and filter rows of C channels.
 */
function forEachTap(
  g: DepthwiseGeometry,
  visit: (out: number, inp: number, tap: number) => void,
): void {
  for (let b = 0; b < g.n; b++) {
    for (let i = 0; i < g.ho; i++) {
      for (let j = 0; j < g.wo; j++) {
        const out = ((b * g.ho + i) * g.wo + j) * g.c;
        for (let a = 0; a < g.kh; a++) {
          const y = i * g.sh + a - g.top;
          if (y < 0 || y >= g.h) continue;
          for (let e = 0; e < g.kw; e++) {
            const xx = j * g.sw + e - g.left;
            if (xx < 0 || xx >= g.w) continue;
            visit(out, ((b * g.h + y) * g.w + xx) * g.c, (a * g.kw + e) * g.c);
          }
        }
      }
    }
  }
}

/** Depthwise conv (channel multiplier 1) with loop-based gradients for input and filter. */
export function depthwise(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  stride: readonly [number, number],
  padding: 'same' | 'valid',
): tf.Tensor4D {
  const g = geometry(x, filter, stride, padding);
  const op = tf.customGrad(
    body((xi: tf.Tensor, fi: tf.Tensor, save: tf.GradSaveFunc) => {
      const xs = floats(xi);
      const fs = floats(fi);
      const out = new Float32Array(g.n * g.ho * g.wo * g.c);
      const c = g.c;
      forEachTap(g, (o, p, t) => {
        for (let ch = 0; ch < c; ch++)
          out[o + ch] = (out[o + ch] ?? 0) + (xs[p + ch] ?? 0) * (fs[t + ch] ?? 0);
      });
      save([xi, fi]);
      return {
        value: tf.tensor4d(out, [g.n, g.ho, g.wo, c]),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const xv = floats(saved[0] as tf.Tensor);
          const fv = floats(saved[1] as tf.Tensor);
          const d = floats(dy);
          const dx = new Float32Array(xv.length);
          const df = new Float32Array(fv.length);
          forEachTap(g, (o, p, t) => {
            for (let ch = 0; ch < c; ch++) {
              const dyv = d[o + ch] ?? 0;
              dx[p + ch] = (dx[p + ch] ?? 0) + dyv * (fv[t + ch] ?? 0);
              df[t + ch] = (df[t + ch] ?? 0) + dyv * (xv[p + ch] ?? 0);
            }
          });
          return [tf.tensor(dx, xi.shape), tf.tensor(df, fi.shape)];
        },
      };
    }),
  );
  return op(x, filter) as tf.Tensor4D;
}

/**
 * Causal depthwise conv in time over a clip [N, T, H, W, C] (bottleneck-clip.ts'
 * causalTemporalClip) with loop-based gradients for input, kernel [kt, C] and bias [C].
 */
export function causalTemporal(x: tf.Tensor, kernel: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor {
  const [n, t, h, w, c] = x.shape as [number, number, number, number, number];
  const kt = kernel.shape[0];
  const frame = h * w * c;
  /** Visits (output frame offset, input frame offset, tap) for every tap inside the clip. */
  const taps = (visit: (out: number, inp: number, j: number) => void) => {
    for (let b = 0; b < n; b++) {
      for (let s = 0; s < t; s++) {
        for (let j = 0; j < kt; j++) {
          const from = s - (kt - 1) + j;
          if (from >= 0) visit((b * t + s) * frame, (b * t + from) * frame, j);
        }
      }
    }
  };
  const op = tf.customGrad(
    body((xi: tf.Tensor, ki: tf.Tensor, bi: tf.Tensor, save: tf.GradSaveFunc) => {
      const xs = floats(xi);
      const ks = floats(ki);
      const bs = floats(bi);
      const out = new Float32Array(xs.length);
      for (let p = 0; p < out.length; p++) out[p] = bs[p % c] ?? 0;
      taps((o, i, j) => {
        for (let p = 0; p < frame; p++)
          out[o + p] = (out[o + p] ?? 0) + (xs[i + p] ?? 0) * (ks[j * c + (p % c)] ?? 0);
      });
      save([xi, ki]);
      return {
        value: tf.tensor(out, xi.shape),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const xv = floats(saved[0] as tf.Tensor);
          const kv = floats(saved[1] as tf.Tensor);
          const d = floats(dy);
          const dx = new Float32Array(xv.length);
          const dk = new Float64Array(kt * c);
          const db = new Float64Array(c);
          for (let p = 0; p < d.length; p++) db[p % c] = (db[p % c] ?? 0) + (d[p] ?? 0);
          taps((o, i, j) => {
            for (let p = 0; p < frame; p++) {
              const dyv = d[o + p] ?? 0;
              dx[i + p] = (dx[i + p] ?? 0) + dyv * (kv[j * c + (p % c)] ?? 0);
              dk[j * c + (p % c)] = (dk[j * c + (p % c)] ?? 0) + dyv * (xv[i + p] ?? 0);
            }
          });
          return [
            tf.tensor(dx, xi.shape),
            tf.tensor2d(Float32Array.from(dk), [kt, c]),
            tf.tensor1d(Float32Array.from(db)),
          ];
        },
      };
    }),
  );
  return op(x, kernel, bias) as tf.Tensor;
}

/** The bottleneck's ops with loop-based gradients (cpu backend only). */
export const CPU_GRAD_OPS: BottleneckOps = { relu6, depthwise, causalTemporal };
