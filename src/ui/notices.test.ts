import { describe, expect, it } from 'vitest';
import { resetNotice, resumeText } from './notices';

describe('resumeText', () => {
  it('says when the first prediction comes back after a reset', () => {
    expect(resumeText(0, 5)).toBe('predictions restart with the next frame');
    // A delay of 7 steps answers on frame 8: 8 / 2.5 fps = 3.2 s.
    expect(resumeText(7, 2.5)).toBe('predictions restart after 8 frames (3.2 s of video)');
    expect(resumeText(1, 5)).toBe('predictions restart after 2 frames (0.4 s of video)');
  });

  it('refuses a negative or fractional delay', () => {
    expect(() => resumeText(-1, 5)).toThrow(/non-negative integer/);
    expect(() => resumeText(1.5, 5)).toThrow(/non-negative integer/);
  });
});

describe('resetNotice', () => {
  const resume = 'predictions restart with the next frame';

  it('words each reset with what happened and what follows', () => {
    expect(resetNotice({ reason: 'seek', time: 4 }, resume)).toBe(
      'Jumped to 0:04.0: the model state was reset; predictions restart with the next frame.',
    );
    expect(resetNotice({ reason: 'loop' }, resume)).toBe(
      'The video looped: the model state was reset; predictions restart with the next frame.',
    );
    expect(resetNotice({ reason: 'file', name: 'clip.webm' }, resume)).toBe(
      'Opened "clip.webm": the model state was reset; predictions restart with the next frame.',
    );
    expect(resetNotice({ reason: 'webcam' }, resume)).toMatch(/^Camera started: the model state/);
    expect(resetNotice({ reason: 'gap' }, resume)).toMatch(
      /^Frames stopped for more than a second/,
    );
    expect(resetNotice({ reason: 'model', name: 'CoX3D-XS (untrained)' }, resume)).toBe(
      'Switched to CoX3D-XS (untrained): a new model starts with an empty state; ' +
        'predictions restart with the next frame.',
    );
  });
});
