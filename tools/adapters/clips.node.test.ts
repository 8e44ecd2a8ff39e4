/** The training clips and the held-out ones are disjoint, and together they are all nine. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VIDEOS_DIR } from '../reference/reference-fixture';
import {
  clipPath,
  EVALUATION_CLIPS,
  HELD_OUT_LABELLED_CLIPS,
  HELD_OUT_TRAIN_CLIPS,
  TRAINING_CLIPS,
} from './clips';

describe('clip lists', () => {
  it('hold out 3 of the 9 training clips and never train on them', () => {
    const all = readdirSync(join(VIDEOS_DIR, 'train')).filter((f) => f.endsWith('.mp4'));
    expect(all).toHaveLength(9);
    expect([...TRAINING_CLIPS, ...HELD_OUT_TRAIN_CLIPS].sort()).toEqual(all.sort());
    expect(TRAINING_CLIPS).toHaveLength(6);
    expect(TRAINING_CLIPS.filter((c) => HELD_OUT_TRAIN_CLIPS.includes(c))).toEqual([]);
  });

  it('evaluate on the held-out clips and the two labelled ones, all present', () => {
    expect(EVALUATION_CLIPS).toEqual([
      'train/archery.mp4',
      'train/opening_screen_door.mp4',
      'train/yoga_outdoors.mp4',
      'arm_wrestling.mp4',
      'shooting_basketball.mp4',
    ]);
    expect(HELD_OUT_LABELLED_CLIPS).toHaveLength(2);
    for (const c of EVALUATION_CLIPS) expect(existsSync(clipPath(c))).toBe(true);
  });
});
