/**
 * Why loading weights failed. Each kind maps to one thing the user (or the developer) can do:
 * - 'missing-manifest': the model's manifest.json is not on the server (wrong model id or path).
 * - 'malformed-manifest': manifest.json is not valid JSON or does not follow the format.
 * - 'missing-shard': a weights or labels file named by the manifest is not on the server.
 * - 'hash-mismatch': a shard's bytes do not match the manifest's sha256 (corrupt or stale file).
 * - 'network': the request failed or the server answered with an error status.
 * - 'unsupported': this environment lacks something loading needs (e.g. crypto.subtle).
 */
export type WeightsErrorKind =
  | 'missing-manifest'
  | 'malformed-manifest'
  | 'missing-shard'
  | 'hash-mismatch'
  | 'network'
  | 'unsupported';

/** An error while reading, validating or fetching model weights; `message` is shown to users. */
export class WeightsError extends Error {
  /** What went wrong, for code that reacts differently (e.g. retry only on 'network'). */
  readonly kind: WeightsErrorKind;

  constructor(kind: WeightsErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WeightsError';
    this.kind = kind;
  }
}
