/**
 * The original MoViNet-A0-Stream TFLite model in the page, run by @tensorflow/tfjs-tflite's own
 * WASM runtime (XNNPACK), states fed back every frame: the speed reference beside our model.
 * The wiring is read from the file's SignatureDef like tools/reference/movinet-tflite.ts, which
 * cannot be imported here (it loads the Node runner).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tflite from '@tensorflow/tfjs-tflite';
import { readSignatures } from '../../tools/reference/tflite-signature';

/** One stepping TFLite stream. */
export interface TfliteStream {
  /** Runs one frame [1,H,W,3] in [0,1]; resolves to the logits. */
  step(frame: tf.Tensor): Promise<Float32Array>;
  /** Frame shape the model takes. */
  readonly frameShape: readonly number[];
  dispose(): void;
}

/** Loads the model from `url` with tfjs-tflite's wasm files served from `wasmDir`. */
export async function loadTfliteStream(
  url: string,
  wasmDir: string,
  numThreads: number,
): Promise<TfliteStream> {
  tflite.setWasmPath(wasmDir);
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  const signature = readSignatures(bytes).find((s) => s.key === 'serving_default');
  if (signature === undefined) throw new Error('TFLite model has no serving_default signature');
  const model = await tflite.loadTFLiteModel(bytes.buffer, { numThreads });
  const image = signature.inputs.find((t) => t.name === 'image');
  const logits = signature.outputs.find((t) => t.name === 'logits');
  if (image === undefined || logits === undefined) throw new Error('no image/logits in signature');
  const outByName = new Map(signature.outputs.map((t) => [t.name, t]));
  // Runtime input name -> runtime output name fed back into it (null: pass-through, stays zero).
  const feedback = new Map<string, string | null>();
  const state = new Map<string, tf.Tensor>();
  for (const input of signature.inputs) {
    if (input === image) continue;
    const out = outByName.get(input.name);
    if (out === undefined) throw new Error(`state ${input.name} has no output`);
    feedback.set(input.tensorName, out.tensorIndex === input.tensorIndex ? null : out.tensorName);
    state.set(
      input.tensorName,
      tf.zeros([...input.shape], input.dtype === 'int32' ? 'int32' : 'float32'),
    );
  }
  return {
    frameShape: image.shape,
    async step(frame) {
      const inputs: tf.NamedTensorMap = { [image.tensorName]: frame };
      for (const [name, t] of state) inputs[name] = t;
      const outputs = model.predict(inputs) as tf.NamedTensorMap;
      const result = outputs[logits.tensorName];
      if (result === undefined) throw new Error('TFLite returned no logits');
      const data = (await result.data()) as Float32Array;
      const kept = new Set<tf.Tensor>();
      for (const [input, output] of feedback) {
        if (output === null) continue;
        const next = outputs[output];
        if (next === undefined) throw new Error(`TFLite returned no ${output}`);
        state.get(input)?.dispose();
        state.set(input, next);
        kept.add(next);
      }
      for (const t of Object.values(outputs)) if (!kept.has(t)) t.dispose();
      return data;
    },
    dispose() {
      for (const t of state.values()) t.dispose();
      state.clear();
    },
  };
}
