/**
 * Registers the gradients of tfjs-core's kernels in Node. tfjs-core's Node entry point does not
 * register them (its register_all_gradients module is ESM-only and cannot be imported by Node);
 * tfjs-layers' Node bundle registers them all in the global gradient registry when loaded.
 * Import this module once, for its side effect, before computing any gradient.
 */
import '@tensorflow/tfjs-layers';
