import type * as tf from '@tensorflow/tfjs-core';
import type { CoModule, FlopCount, FrameShape } from '../continual/module';
import type { VariantInfo } from './adapters/variant-info';

/** What a model is, for the registry, the dashboard and the FLOP table. */
export interface ModelInfo {
  /** Registry id, e.g. 'movinet-a0-stream' or 'cox3d-xs'. */
  readonly id: string;
  /** Name shown to people. */
  readonly displayName: string;
  /** Class names; index i = logit i. */
  readonly labels: readonly string[];
  /** Input frame: RGB in [0, 1], channels-last. */
  readonly input: FrameShape;
  /** Frames per second of video the model expects (frames are resampled to this rate). */
  readonly frameRate: number;
  /**
   * Frames of the clip-based baseline as its paper counts it (`predictClip`, `flopsPerClip`):
   * the cost a clip-based system pays per prediction.
   */
  readonly clipLength: number;
  /**
   * Frames of the offline twin (`predictTwin`): the window whose clip-model output the online
   * mode reproduces, the one compare mode recomputes per prediction. For CoX3D it is the
   * unpadded network's receptive field (much longer than T); for a causal network like
   * MoViNet it equals `clipLength`.
   */
  readonly twinLength: number;
  /** Whether the weights are trained; untrained models use seeded weights and say so everywhere. */
  readonly trained: boolean;
  /** Number of weights (parameters). */
  readonly params: number;
  /** One sentence on what it is and where its weights come from. */
  readonly description: string;
  /** For a pruned variant: how it was derived and how closely it follows the dense model. */
  readonly variant?: VariantInfo;
}

/**
 * A recognition model: a continual network from frames [1, H, W, 3] to logits [1, 1, 1, classes],
 * plus its metadata and costs. The network keeps the CoModule contract, so `forwardStep` is the
 * online (continual) mode and `predictClip` the offline (clip-based) baseline.
 */
export interface ActionModel {
  readonly info: ModelInfo;
  readonly network: CoModule;
  /**
   * Online mode: one new frame [1, H, W, 3]; returns logits [1, classes] or null while the
   * network's buffers fill. The caller owns the result.
   */
  step(frame: tf.Tensor4D): tf.Tensor2D | null;
  /**
   * Offline mode: the clip-based baseline over the last `info.clipLength` frames
   * [1, T, H, W, 3], computed from a fresh state in one full pass; returns the logits [1, classes]
   * of the window's last output. Does not touch the online state.
   */
  predictClip(clip: tf.Tensor5D): tf.Tensor2D;
  /**
   * Offline twin: the clip model over the last `info.twinLength` frames [1, L, H, W, 3], from a
   * fresh state in one pass; returns the logits [1, classes] of its last output. Where the
   * online model is exact (CoX3D) this equals `step`'s output on the same newest frame. Does
   * not touch the online state.
   */
  predictTwin(clip: tf.Tensor5D): tf.Tensor2D;
  /** Resets the online state (new stream, seek, model switch). */
  resetState(): void;
  /** Cost of one online step (per input frame). */
  readonly flopsPerStep: FlopCount;
  /** Cost of one clip-based prediction over `info.clipLength` frames. */
  readonly flopsPerClip: FlopCount;
  /** Bytes of streaming state (float32). */
  readonly stateBytes: number;
  dispose(): void;
}
