import { describe, expect, it } from 'vitest';
import { labelOf } from './labels';

describe('labelOf', () => {
  it('names a class from the labels, or by its index when there is no label', () => {
    expect(labelOf(['abseiling', 'arm wrestling'], 1)).toBe('arm wrestling');
    expect(labelOf(['abseiling'], 3)).toBe('class 3');
    expect(labelOf(undefined, 0)).toBe('class 0');
  });
});
