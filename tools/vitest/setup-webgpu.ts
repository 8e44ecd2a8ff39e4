import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';

// WebGPU needs a secure context (127.0.0.1/localhost) and --enable-unsafe-webgpu on Debian's chromium,
// where it runs on the SwiftShader software adapter: right answers, slow.
if (!('gpu' in navigator))
  throw new Error('navigator.gpu is missing: WebGPU is not available in this browser.');
if (!(await tf.setBackend('webgpu'))) throw new Error('The webgpu backend failed to initialise.');
await tf.ready();
