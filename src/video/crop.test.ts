import { describe, expect, it } from 'vitest';
import { centerSquare } from './crop';

describe('centerSquare', () => {
  it('takes the largest centred square, the odd pixel after it', () => {
    expect(centerSquare(640, 480)).toEqual({ x: 80, y: 0, size: 480 });
    expect(centerSquare(480, 640)).toEqual({ x: 0, y: 80, size: 480 });
    expect(centerSquare(5, 2)).toEqual({ x: 1, y: 0, size: 2 }); // 3 spare: 1 before, 2 after
    expect(centerSquare(2, 5)).toEqual({ x: 0, y: 1, size: 2 });
    expect(centerSquare(7, 7)).toEqual({ x: 0, y: 0, size: 7 });
    expect(centerSquare(1, 1)).toEqual({ x: 0, y: 0, size: 1 });
  });

  it('rejects empty or fractional sizes', () => {
    expect(() => centerSquare(0, 4)).toThrow(/positive integer/);
    expect(() => centerSquare(4, -1)).toThrow(/positive integer/);
    expect(() => centerSquare(4.5, 4)).toThrow(/positive integer/);
    expect(() => centerSquare(Number.NaN, 4)).toThrow(/positive integer/);
  });
});
