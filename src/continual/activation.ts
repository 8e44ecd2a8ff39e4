import * as tf from '@tensorflow/tfjs-core';

/** Element-wise activations used by the networks (applied per frame, so they are stateless). */
export type Activation =
  'linear' | 'relu' | 'relu6' | 'sigmoid' | 'swish' | 'hardSwish' | 'hardSigmoid';

/** Applies an activation; returns a new tensor (the input is not disposed). */
export function applyActivation<T extends tf.Tensor>(x: T, activation: Activation): T {
  switch (activation) {
    case 'linear':
      return tf.clone(x);
    case 'relu':
      return tf.relu(x);
    case 'relu6':
      return tf.relu6(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'swish':
      return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
    case 'hardSigmoid':
      // relu6(x + 3) / 6, as in MobileNetV3 and MoViNet.
      return tf.tidy(() => tf.div(tf.relu6(tf.add(x, 3)), 6));
    case 'hardSwish':
      return tf.tidy(() => tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6)));
  }
}

/**
 * The activations that tf.fused.conv2d / depthwiseConv2d apply inside the convolution kernel;
 * the others are applied as a separate op.
 */
export function fusedActivation(
  activation: Activation,
): 'linear' | 'relu' | 'relu6' | 'sigmoid' | null {
  return activation === 'linear' ||
    activation === 'relu' ||
    activation === 'relu6' ||
    activation === 'sigmoid'
    ? activation
    : null;
}

/**
 * Element-wise operations per output element of an activation, for FLOP accounting
 * (0 for linear; swish = sigmoid + multiply; hard variants = add, clip, divide(, multiply)).
 */
export function activationOpsPerElement(activation: Activation): number {
  switch (activation) {
    case 'linear':
      return 0;
    case 'relu':
    case 'relu6':
    case 'sigmoid':
      return 1;
    case 'swish':
      return 2;
    case 'hardSigmoid':
      return 3;
    case 'hardSwish':
      return 4;
  }
}
