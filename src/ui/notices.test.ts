import { describe, expect, it } from 'vitest';
import { clipFrames, resetNotice, resumeText, shortClipNotice } from './notices';

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

describe('hidden tab notice', () => {
  it('says how long the tab was away and that the state was reset', () => {
    expect(
      resetNotice({ reason: 'hidden', seconds: 12.34 }, 'predictions restart with the next frame'),
    ).toBe(
      'The tab was hidden for 12.3 s: predictions paused and the model state was reset; predictions restart with the next frame.',
    );
  });
});

describe('clipFrames', () => {
  it('counts the frames a clip gives at the model rate, at least one', () => {
    expect(clipFrames(0.4, 5)).toBe(2);
    expect(clipFrames(10, 2.5)).toBe(25);
    expect(clipFrames(1 / 28, 5)).toBe(1);
    expect(clipFrames(0.5, 5)).toBe(3); // 2.5 rounds up
    expect(clipFrames(Number.NaN, 5)).toBe(0);
    expect(clipFrames(Number.POSITIVE_INFINITY, 5)).toBe(0);
    expect(clipFrames(1, 0)).toBe(0);
  });
});

describe('shortClipNotice', () => {
  it('is null for a clip that fills the window', () => {
    expect(shortClipNotice('a.mp4', 8, 5, 8, 0)).toBeNull();
    expect(shortClipNotice('a.mp4', 50, 5, 8, 0)).toBeNull();
  });

  it('explains that offline mode has no answer, and whether online has', () => {
    expect(shortClipNotice('short.mp4', 2, 5, 8, 0)).toBe(
      '"short.mp4" is 2 frames at 5 fps; the clip-based window needs 8, so offline mode has no answer for it; the continual model answers on every pass of the loop.',
    );
    expect(shortClipNotice('one.mp4', 1, 5, 8, 0)).toContain('"one.mp4" is 1 frame at 5 fps');
    // CoX3D-XS: 59 steps of start-up, a 105-frame twin.
    expect(shortClipNotice('c.mp4', 59, 2.5, 105, 59)).toContain(
      'the continual model needs 60 before its first answer, so neither mode can answer.',
    );
    expect(shortClipNotice('c.mp4', 60, 2.5, 105, 59)).toContain('answers on every pass');
  });
});
