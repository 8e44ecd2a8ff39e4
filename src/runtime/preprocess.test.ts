import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeakedTensors } from '../continual/testing';
import { preprocessFrame } from './preprocess';
import type { RgbaPixels } from './protocol';

// Pixels are bytes scaled by 1/255 in float32; 1e-6 covers the rounding of that division.
const TOL = 1e-6;

/** RGBA pixels whose RGB value at (row, col, channel) is `value(row, col, channel)`. */
function pixels(
  width: number,
  height: number,
  value: (row: number, col: number, channel: number) => number,
): RgbaPixels {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      for (let ch = 0; ch < 3; ch++) data[(r * width + c) * 4 + ch] = value(r, c, ch);
      data[(r * width + c) * 4 + 3] = 77; // alpha, which must be ignored
    }
  }
  return { data, width, height };
}

async function expectValues(actual: tf.Tensor, expected: number[]): Promise<void> {
  // Read asynchronously: dataSync is unreliable on the webgpu test adapter.
  const got = Array.from(await actual.data());
  expect(got).toHaveLength(expected.length);
  got.forEach((v, i) =>
    expect(Math.abs(v - (expected[i] as number)), `index ${i}`).toBeLessThan(TOL),
  );
}

const rgb = { height: 2, width: 2, channels: 3 };

describe('preprocessFrame', () => {
  it('scales bytes to [0, 1] and drops alpha when the frame is already the model size', async () => {
    const p = pixels(2, 2, (r, c, ch) => 10 * (r * 2 + c) + ch);
    const x = preprocessFrame(p, rgb);
    expect(x.shape).toEqual([1, 2, 2, 3]);
    expect(x.dtype).toBe('float32');
    await expectValues(
      x,
      [0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32].map((v) => v / 255),
    );
    x.dispose();
  });

  it('crops the centred square of a wide frame', async () => {
    // 4 x 2: the outer columns (0 and 3) are white, the centre 2 x 2 holds 51.
    const p = pixels(4, 2, (_r, c) => (c === 0 || c === 3 ? 255 : 51));
    const x = preprocessFrame(p, rgb);
    await expectValues(x, new Array(12).fill(51 / 255));
    x.dispose();
  });

  it('crops the centred square of a tall frame (odd leftover after the square)', async () => {
    // 2 x 5: rows 1 and 2 are kept (floor(3 / 2) = 1 row above, 2 below).
    const p = pixels(2, 5, (r) => 10 * r);
    const x = preprocessFrame(p, rgb);
    await expectValues(
      x,
      [10, 10, 10, 10, 10, 10, 20, 20, 20, 20, 20, 20].map((v) => v / 255),
    );
    x.dispose();
  });

  it('resizes bilinearly with half-pixel centres: 2x downscale averages 2x2 blocks', async () => {
    // 4 x 4, channel value = 4 r + c; the 2 x 2 block means are 2.5, 4.5, 10.5, 12.5.
    const p = pixels(4, 4, (r, c) => 4 * r + c);
    const x = preprocessFrame(p, rgb);
    const expected = [2.5, 4.5, 10.5, 12.5].flatMap((v) => [v, v, v].map((u) => u / 255));
    await expectValues(x, expected);
    x.dispose();
  });

  it('resizes up: 2 -> 4 interpolates at 1/4 and 3/4', async () => {
    // One row pattern [0, 100] repeated on both rows: columns become 0, 25, 75, 100.
    const p = pixels(2, 2, (_r, c) => 100 * c);
    const x = preprocessFrame(p, { height: 4, width: 4, channels: 3 });
    expect(x.shape).toEqual([1, 4, 4, 3]);
    const row = [0, 25, 75, 100].flatMap((v) => [v, v, v].map((u) => u / 255));
    await expectValues(x, [...row, ...row, ...row, ...row]);
    x.dispose();
  });

  it('leaves no tensors behind and rejects non-RGB models', async () => {
    const p = pixels(6, 4, () => 9);
    await expectNoLeakedTensors(() => {
      tf.dispose(preprocessFrame(p, rgb));
    });
    expect(() => preprocessFrame(p, { height: 2, width: 2, channels: 1 })).toThrow(/RGB/);
  });

  it.skipIf(typeof OffscreenCanvas === 'undefined')(
    'reads an ImageBitmap (browser only: Node has no ImageBitmap)',
    async () => {
      const canvas = new OffscreenCanvas(4, 2);
      const ctx = canvas.getContext('2d') as OffscreenCanvasRenderingContext2D;
      ctx.fillStyle = 'rgb(255, 255, 255)';
      ctx.fillRect(0, 0, 4, 2);
      ctx.fillStyle = 'rgb(255, 0, 51)';
      ctx.fillRect(1, 0, 2, 2);
      const bitmap = await createImageBitmap(canvas);
      const x = preprocessFrame(bitmap, rgb);
      const px = [1, 0, 51 / 255];
      await expectValues(x, [...px, ...px, ...px, ...px]);
      x.dispose();
      bitmap.close();
    },
  );
});
