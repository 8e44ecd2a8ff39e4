/**
 * The original MoViNet-A0-Stream TFLite model, stepped one frame at a time with its states carried:
 * the reference our TF.js model is compared against.
 *
 * State wiring comes from the file's SignatureDef (see tflite-signature.ts): each state output
 * feeds the state input with the same signature name. 13 states are computed; the other 30 (the
 * unused squeeze-and-excitation pool states) come out as the very input tensor, so they stay zero.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TFLiteModel } from '@tensorflow/tfjs-tflite';
import { readSignatures, type Signature, type SignatureTensor } from './tflite-signature';
import { loadTfliteInNode } from './tflite-node';

/** A state the graph computes: the runtime names of its input and of the output that feeds it. */
export interface StateFeedback {
  /** SignatureDef name, e.g. `state_block1_layer0_stream_buffer`. */
  readonly name: string;
  /** Runtime input tensor, e.g. `serving_default_state_block1_layer0_stream_buffer:0`. */
  readonly input: string;
  /** Runtime output tensor, e.g. `StatefulPartitionedCall:5`. */
  readonly output: string;
  /** Shape of the state. */
  readonly shape: readonly number[];
  /** `float32` or `int32`. */
  readonly dtype: string;
}

/** How a streaming signature's tensors are used. */
export interface StreamWiring {
  /** The frame input (`image`). */
  readonly image: SignatureTensor;
  /** The scores output (`logits`). */
  readonly logits: SignatureTensor;
  /** States whose output differs from their input: fed back after every step. */
  readonly computed: readonly StateFeedback[];
  /** States whose output is their own input: always fed zeros. */
  readonly passThrough: readonly SignatureTensor[];
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Splits a streaming signature into image, logits, computed states and pass-through states.
 * Throws if a state input has no output of the same name, shape and type.
 */
export function streamWiring(signature: Signature): StreamWiring {
  const image = signature.inputs.find((t) => t.name === 'image');
  const logits = signature.outputs.find((t) => t.name === 'logits');
  if (image === undefined || logits === undefined) {
    throw new Error(`signature ${signature.key} has no 'image' input or no 'logits' output`);
  }
  const outputs = new Map(signature.outputs.map((t) => [t.name, t]));
  const computed: StateFeedback[] = [];
  const passThrough: SignatureTensor[] = [];
  for (const input of signature.inputs) {
    if (input === image) continue;
    const output = outputs.get(input.name);
    if (
      output === undefined ||
      !sameShape(output.shape, input.shape) ||
      output.dtype !== input.dtype
    ) {
      throw new Error(`state ${input.name} has no output of the same name, shape and type`);
    }
    if (output.tensorIndex === input.tensorIndex) passThrough.push(input);
    else {
      computed.push({
        name: input.name,
        input: input.tensorName,
        output: output.tensorName,
        shape: input.shape,
        dtype: input.dtype,
      });
    }
  }
  return { image, logits, computed, passThrough };
}

function zerosLike(t: { shape: readonly number[]; dtype: string }): tf.Tensor {
  return tf.zeros([...t.shape], t.dtype === 'int32' ? 'int32' : 'float32');
}

/** The TFLite MoViNet stream: call {@link MovinetTflite.step} once per 5 fps frame. */
export class MovinetTflite {
  /** Signature wiring of the loaded model. */
  readonly wiring: StreamWiring;
  private readonly model: TFLiteModel;
  /** Runtime input tensor name of each state's SignatureDef name. */
  private readonly inputOf: ReadonlyMap<string, string>;
  /** Tensors fed next, by runtime input name. */
  private state = new Map<string, tf.Tensor>();
  private steps = 0;

  private constructor(model: TFLiteModel, wiring: StreamWiring) {
    this.model = model;
    this.wiring = wiring;
    this.inputOf = new Map([
      ...wiring.passThrough.map((t) => [t.name, t.tensorName] as const),
      ...wiring.computed.map((t) => [t.name, t.input] as const),
    ]);
    const known = new Set([...model.inputs, ...model.outputs].map((t) => t.name));
    for (const s of wiring.computed) {
      if (!known.has(s.input) || !known.has(s.output)) {
        throw new Error(`runtime has no tensor ${s.input} or ${s.output}`);
      }
    }
    this.resetState();
  }

  /** Loads the model bytes with tfjs-tflite (Node) and wires its `serving_default` signature. */
  static async load(bytes: Uint8Array): Promise<MovinetTflite> {
    const signature = readSignatures(bytes).find((s) => s.key === 'serving_default');
    if (signature === undefined) throw new Error('model has no serving_default signature');
    const { model } = await loadTfliteInNode(bytes);
    return new MovinetTflite(model, streamWiring(signature));
  }

  /** Frames stepped since the last reset. */
  get framesSeen(): number {
    return this.steps;
  }

  /** Bytes of one RGB24 frame the model takes (172*172*3). */
  get frameBytes(): number {
    return this.wiring.image.shape.reduce((a, b) => a * b, 1);
  }

  /** A copy of the state fed next under SignatureDef `name` (for tests and inspection). */
  readState(name: string): Float32Array | Int32Array {
    const input = this.inputOf.get(name);
    const t = input === undefined ? undefined : this.state.get(input);
    if (t === undefined) throw new RangeError(`no state named ${name}`);
    return t.dataSync() as Float32Array | Int32Array;
  }

  /** Zeros every state (start of a new stream). */
  resetState(): void {
    for (const t of this.state.values()) t.dispose();
    this.state = new Map();
    for (const s of this.wiring.passThrough) this.state.set(s.tensorName, zerosLike(s));
    for (const s of this.wiring.computed) this.state.set(s.input, zerosLike(s));
    this.steps = 0;
  }

  /** Runs one RGB24 frame (uint8 / 255, exact for the graph's input quantisation) and returns the logits. */
  step(frame: Uint8Array): Float32Array {
    if (frame.length !== this.frameBytes) {
      throw new RangeError(`frame has ${frame.length} bytes, expected ${this.frameBytes}`);
    }
    const pixels = new Float32Array(frame.length);
    for (let i = 0; i < frame.length; i++) pixels[i] = (frame[i] ?? 0) / 255;
    const image = tf.tensor(pixels, [...this.wiring.image.shape], 'float32');
    const inputs: tf.NamedTensorMap = { [this.wiring.image.tensorName]: image };
    for (const [name, t] of this.state) inputs[name] = t;
    const outputs = this.model.predict(inputs) as tf.NamedTensorMap;
    image.dispose();
    const logitsTensor = outputs[this.wiring.logits.tensorName];
    if (logitsTensor === undefined) throw new Error('model returned no logits');
    const logits = Float32Array.from(logitsTensor.dataSync());
    const kept = new Set<tf.Tensor>();
    for (const s of this.wiring.computed) {
      const next = outputs[s.output];
      if (next === undefined) throw new Error(`model returned no ${s.output}`);
      this.state.get(s.input)?.dispose();
      this.state.set(s.input, next);
      kept.add(next);
    }
    for (const t of Object.values(outputs)) if (!kept.has(t)) t.dispose();
    this.steps++;
    return logits;
  }

  /** Releases the state tensors (the WASM interpreter lives as long as the process). */
  dispose(): void {
    for (const t of this.state.values()) t.dispose();
    this.state = new Map();
  }
}
