/**
 * What the classify page reports to `npm run classify`: one JSON object per console message,
 * prefixed so the CLI can tell them from other console output. Shared by the page and the CLI.
 */

/** Prefix of every classify console message. */
export const EVENT_PREFIX = '__classify ';

/** A class and its probability, with its label. */
export interface LabelledScore {
  readonly label: string;
  readonly prob: number;
}

/** One mode's answer for one step. */
export interface StepOutcome {
  /** Empty while the model's buffers fill. */
  readonly top5: readonly LabelledScore[];
  readonly latencyMs: number;
}

/** What the CLI asks for. */
export interface ClassifyConfig {
  readonly modelId: string;
  readonly mode: 'online' | 'offline' | 'both';
  readonly backend: string | null;
  /** Sampling rate; null for the model's own. */
  readonly fps: number | null;
}

/** Messages from the page. */
export type ClassifyEvent =
  | {
      readonly type: 'ready';
      readonly model: string;
      readonly backend: string;
      readonly backendReason: string;
      readonly fps: number;
      readonly duration: number;
      readonly width: number;
      readonly height: number;
    }
  | {
      readonly type: 'step';
      readonly step: number;
      readonly time: number;
      readonly online?: StepOutcome;
      readonly offline?: StepOutcome;
    }
  | { readonly type: 'done'; readonly steps: number }
  /** Something the user should know that does not stop the run (a backend fallback). */
  | { readonly type: 'notice'; readonly message: string; readonly backend?: string }
  | { readonly type: 'error'; readonly message: string };

/** Parses a console line into an event, or null when it is not one. */
export function parseEvent(text: string): ClassifyEvent | null {
  if (!text.startsWith(EVENT_PREFIX)) return null;
  const value: unknown = JSON.parse(text.slice(EVENT_PREFIX.length));
  if (typeof value !== 'object' || value === null || !('type' in value)) return null;
  return value as ClassifyEvent;
}
