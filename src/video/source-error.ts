/**
 * Errors of the video sources, worded for the user: what happened and what to do. The source
 * code classifies browser errors into these; the view shows `message` as it is.
 */

/** What went wrong with a source. */
export type SourceErrorKind =
  | 'permission-denied'
  | 'no-camera'
  | 'camera-unavailable'
  | 'resolution-unsupported'
  | 'camera-in-use'
  | 'camera-disconnected'
  | 'unsupported-browser'
  | 'aborted'
  | 'file-read'
  | 'empty-file'
  | 'decode'
  | 'format-unsupported'
  | 'no-video-track'
  | 'unknown';

/** A source failure with a user-facing message. */
export class SourceError extends Error {
  override readonly name = 'SourceError';
  readonly kind: SourceErrorKind;
  /** The browser's own error, for the console. */
  override readonly cause: unknown;

  constructor(kind: SourceErrorKind, message: string, cause?: unknown) {
    super(message);
    this.kind = kind;
    this.cause = cause;
  }
}

/** The `name` of a DOMException or Error-like value, '' when it has none. */
export function errorName(error: unknown): string {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : '';
}

/** The `message` of an Error-like value, or its string form. */
export function errorMessage(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}
