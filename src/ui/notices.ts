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
    case 'file':
      return `Opened "${event.name}": the model state was reset; ${resume}.`;
    case 'webcam':
      return `Camera started: the model state was reset; ${resume}.`;
    case 'model':
      return `Switched to ${event.name}: a new model starts with an empty state; ${resume}.`;
  }
}
