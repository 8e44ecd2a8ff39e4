/**
 * The sentences of the transient notices: why the model state was reset, and when predictions
 * come back. Pure, so the wording is tested.
 */
import { formatVideoTime } from './format';

/** What reset the stream (or replaced the model). */
export type ResetEvent =
  | { readonly reason: 'seek'; readonly time: number }
  | { readonly reason: 'loop' }
  | { readonly reason: 'gap' }
  | { readonly reason: 'hidden'; readonly seconds: number }
  | { readonly reason: 'file'; readonly name: string }
  | { readonly reason: 'webcam' }
  | { readonly reason: 'model'; readonly name: string };

/**
 * When the first prediction arrives after a reset: a network with `delay` steps of start-up
 * answers on frame `delay + 1`, at `frameRate` frames per second of video.
 */
export function resumeText(delay: number, frameRate: number): string {
  if (!(Number.isInteger(delay) && delay >= 0)) {
    throw new Error(`A network delay is a non-negative integer, got ${delay}.`);
  }
  if (delay === 0) return 'predictions restart with the next frame';
  const seconds = (delay + 1) / frameRate;
  return `predictions restart after ${delay + 1} frames (${seconds.toFixed(1)} s of video)`;
}

/** The notice for a reset. `resume` is {@link resumeText} for the current model. */
export function resetNotice(event: ResetEvent, resume: string): string {
  switch (event.reason) {
    case 'seek':
      return `Jumped to ${formatVideoTime(event.time)}: the model state was reset; ${resume}.`;
    case 'loop':
      return `The video looped: the model state was reset; ${resume}.`;
    case 'gap':
      return (
        'Frames stopped for more than a second (a hidden tab or a stalled video): the model ' +
        `state was reset; ${resume}.`
      );
    case 'hidden':
      return (
        `The tab was hidden for ${event.seconds.toFixed(1)} s: predictions paused and the model ` +
        `state was reset; ${resume}.`
      );
    case 'file':
      return `Opened "${event.name}": the model state was reset; ${resume}.`;
    case 'webcam':
      return `Camera started: the model state was reset; ${resume}.`;
    case 'model':
      return `Switched to ${event.name}: a new model starts with an empty state; ${resume}.`;
  }
}

/**
 * Frames a clip of `durationS` seconds gives at `frameRate` (at least 1: a clip with a frame
 * shows it).
 */
export function clipFrames(durationS: number, frameRate: number): number {
  if (!(Number.isFinite(durationS) && durationS >= 0 && frameRate > 0)) return 0;
  return Math.max(1, Math.round(durationS * frameRate));
}

/**
 * The notice for a file with fewer frames than the offline window (`window` frames) at the
 * model's `frameRate`, or null when it is long enough. `delay` is the online network's start-up:
 * with fewer frames than `delay + 1` the continual model cannot answer either, since every loop
 * of the file resets its state.
 */
export function shortClipNotice(
  name: string,
  frames: number,
  frameRate: number,
  window: number,
  delay: number,
): string | null {
  if (frames >= window) return null;
  const count = `${frames} frame${frames === 1 ? '' : 's'}`;
  const online =
    frames > delay
      ? 'the continual model answers on every pass of the loop'
      : `the continual model needs ${delay + 1} before its first answer, so neither mode can answer`;
  return (
    `"${name}" is ${count} at ${frameRate} fps; the clip-based window needs ${window}, so ` +
    `offline mode has no answer for it; ${online}.`
  );
}
