/**
 * The one place that decides which TF.js backend runs the models, and says why.
 *
 * This module is pure decision logic: it knows the preference order, calls the probes it is given
 * (one per backend, in order, stopping at the first that works) and words the reason. The probes
 * that touch the browser and TF.js live in `probes.ts`, so this file runs and is tested anywhere.
 */

/** The TF.js backends the app can run on. */
export type BackendName = 'webgpu' | 'wasm' | 'webgl' | 'cpu';

/** Preference order: fastest first on typical hardware, the always-available CPU last. */
export const BACKEND_PRIORITY: readonly BackendName[] = ['webgpu', 'wasm', 'webgl', 'cpu'];

/** Human names of the backends, as the reason sentences spell them. */
export const BACKEND_LABELS: Readonly<Record<BackendName, string>> = {
  webgpu: 'WebGPU',
  wasm: 'WASM',
  webgl: 'WebGL',
  cpu: 'CPU',
};

/** What a successful probe learned about its backend. */
export type BackendInfo =
  | {
      readonly backend: 'webgpu';
      /** Adapter as the browser describes it, e.g. "google swiftshader". */
      readonly adapter: string;
      /** True for a software (fallback) adapter: right answers, slowly. */
      readonly software: boolean;
    }
  | {
      readonly backend: 'wasm';
      /** WASM_HAS_SIMD_SUPPORT. */
      readonly simd: boolean;
      /** The threaded build is running (needs SIMD, WASM_HAS_MULTITHREAD_SUPPORT and isolation). */
      readonly multithread: boolean;
      /** Threads in the backend's compute pool (TF.js uses half the logical cores, at most 8). */
      readonly threads: number;
    }
  | { readonly backend: 'webgl'; /** WebGL version (1 or 2). */ readonly version: number }
  | { readonly backend: 'cpu' };

/** Result of one probe: the backend is initialised and computes correctly, or why not. */
export type ProbeOutcome =
  | { readonly ok: true; readonly info: BackendInfo }
  | { readonly ok: false; readonly error: string };

/** One probe per backend. A probe leaves its backend active when it succeeds. */
export type BackendProbes = { readonly [B in BackendName]: () => Promise<ProbeOutcome> };

/** Cheap facts about the page, read before any backend is started. */
export interface Capabilities {
  /** COOP/COEP in force: SharedArrayBuffer, hence WASM threads, is allowed. */
  readonly crossOriginIsolated: boolean;
  /** `navigator.gpu` exists. */
  readonly webgpuApi: boolean;
  /** `navigator.hardwareConcurrency` (logical cores), 1 when unknown. */
  readonly cores: number;
}

/** One backend tried, in order. */
export interface BackendAttempt {
  readonly backend: BackendName;
  readonly ok: boolean;
  /** Why it failed (absent when ok). */
  readonly error?: string;
  /** Time the probe took, including initialisation and a small check computation. */
  readonly ms: number;
}

/** Where an override came from: the page URL (?backend=) or the caller. */
export type OverrideSource = 'url' | 'argument';

/** A request to run on a given backend instead of the default order. */
export interface BackendOverride {
  /** The requested name as given (may be invalid). */
  readonly requested: string;
  readonly source: OverrideSource;
}

/** What the decision produced. */
export interface BackendChoice {
  readonly backend: BackendName;
  /** One or two sentences for the user: what runs and why. */
  readonly reason: string;
  /** What the winning probe learned (SIMD and threads for wasm, adapter for webgpu, ...). */
  readonly info: BackendInfo;
  readonly capabilities: Capabilities;
  /** Every backend tried, in order, the winner last. */
  readonly attempts: readonly BackendAttempt[];
  /** The override, and whether it was honoured; null when none was given. */
  readonly override: (BackendOverride & { readonly honoured: boolean }) | null;
}

/** No backend could start at all (even CPU failed). */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
  /** Every backend tried, with its error. */
  readonly attempts: readonly BackendAttempt[];

  constructor(attempts: readonly BackendAttempt[]) {
    const why = attempts.map((a) => `${BACKEND_LABELS[a.backend]}: ${a.error ?? 'failed'}`);
    super(
      `No TF.js backend could start (${why.join('; ')}). Try a recent Chrome, Edge or Firefox.`,
    );
    this.attempts = attempts;
  }
}

/** Narrows a string to a backend name (case and surrounding spaces ignored), or null. */
export function parseBackendName(value: string): BackendName | null {
  const v = value.trim().toLowerCase();
  return BACKEND_PRIORITY.find((b) => b === v) ?? null;
}

/**
 * The override to apply: the caller's argument wins over the URL's `?backend=`; an empty value
 * means none. Accepts a query string with or without the leading "?".
 */
export function resolveOverride(
  argument: string | null | undefined,
  search: string | null | undefined,
): BackendOverride | null {
  if (argument != null && argument.trim() !== '')
    return { requested: argument, source: 'argument' };
  const fromUrl = new URLSearchParams(search ?? '').get('backend');
  if (fromUrl != null && fromUrl.trim() !== '') return { requested: fromUrl, source: 'url' };
  return null;
}

/** A short description of the running backend, e.g. "WASM with SIMD and 2 threads". */
export function describeBackend(info: BackendInfo, capabilities: Capabilities): string {
  switch (info.backend) {
    case 'webgpu':
      return `WebGPU on ${info.adapter}${info.software ? ' (a software adapter: correct but slow)' : ''}`;
    case 'wasm': {
      const simd = info.simd ? 'with SIMD' : 'without SIMD';
      if (info.multithread && info.threads > 1) return `WASM ${simd} and ${info.threads} threads`;
      if (info.multithread) {
        // TF.js sizes its pool at half the logical cores, so a 2-core machine gets one thread.
        return (
          `WASM ${simd} and threads, on ${info.threads} thread ` +
          `(TF.js uses half of the ${capabilities.cores} logical cores)`
        );
      }
      const why = !info.simd
        ? 'threads need SIMD'
        : capabilities.crossOriginIsolated
          ? 'this browser has no WASM threads'
          : 'the page is not cross-origin isolated';
      return `WASM ${simd}, single-threaded (${why})`;
    }
    case 'webgl':
      return `WebGL ${info.version}`;
    case 'cpu':
      return 'the plain JavaScript CPU backend (slow)';
  }
}

function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1) + '.';
}

function requestedBy(override: BackendOverride): string {
  return override.source === 'url' ? `?backend=${override.requested}` : 'the caller';
}

/** Options of {@link chooseBackend}. */
export interface ChooseOptions {
  readonly capabilities: Capabilities;
  /** Try this backend first; if it fails, fall back to the default order and say so. */
  readonly override?: BackendOverride | null;
  /** Clock for the attempt timings (injected by tests). */
  readonly now?: () => number;
  /**
   * A probe that has not answered after this long counts as failed (a broken WASM thread pool,
   * for one, never resolves). Default {@link PROBE_TIMEOUT_MS}.
   */
  readonly timeoutMs?: number;
}

/** Default time a probe may take: generous, since a software WebGPU adapter compiles slowly. */
export const PROBE_TIMEOUT_MS = 30_000;

/** Runs a probe; a throw or a timeout becomes a failed outcome. */
async function runProbe(
  probe: () => Promise<ProbeOutcome>,
  timeoutMs: number,
): Promise<ProbeOutcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<ProbeOutcome>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, error: `no answer after ${timeoutMs / 1000} s` }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([probe(), timeout]);
  } catch (e) {
    // A probe should report failure, not throw; treat a throw as a failure all the same.
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Tries the probes in order — the override first if valid, then {@link BACKEND_PRIORITY} — and
 * stops at the first that works. Throws {@link BackendUnavailableError} if none does.
 *
 * Probes run one at a time because each leaves its backend active when it succeeds.
 */
export async function chooseBackend(
  probes: BackendProbes,
  options: ChooseOptions,
): Promise<BackendChoice> {
  const { capabilities } = options;
  const now = options.now ?? (() => performance.now());
  const override = options.override ?? null;
  const timeoutMs = options.timeoutMs ?? PROBE_TIMEOUT_MS;
  const wanted = override ? parseBackendName(override.requested) : null;
  const order = wanted
    ? [wanted, ...BACKEND_PRIORITY.filter((b) => b !== wanted)]
    : BACKEND_PRIORITY;

  const attempts: BackendAttempt[] = [];
  for (const backend of order) {
    const start = now();
    const outcome = await runProbe(probes[backend], timeoutMs);
    const ms = now() - start;
    if (!outcome.ok) {
      attempts.push({ backend, ok: false, error: outcome.error, ms });
      continue;
    }
    if (outcome.info.backend !== backend) {
      throw new Error(`The ${backend} probe reported info for ${outcome.info.backend}.`);
    }
    attempts.push({ backend, ok: true, ms });
    const honoured = wanted === backend;
    return {
      backend,
      reason: explain(outcome.info, capabilities, attempts, override, honoured),
      info: outcome.info,
      capabilities,
      attempts,
      override: override ? { ...override, honoured } : null,
    };
  }
  throw new BackendUnavailableError(attempts);
}

/** Words the reason: what failed and why, then what runs. */
function explain(
  info: BackendInfo,
  capabilities: Capabilities,
  attempts: readonly BackendAttempt[],
  override: BackendOverride | null,
  honoured: boolean,
): string {
  const running = describeBackend(info, capabilities);
  if (override && honoured)
    return sentence(`running on ${running}, as requested by ${requestedBy(override)}`);

  const parts: string[] = [];
  if (override && parseBackendName(override.requested) == null) {
    parts.push(
      `"${override.requested}" (from ${requestedBy(override)}) is not a backend; ` +
        `expected one of ${BACKEND_PRIORITY.join(', ')}`,
    );
  }
  const failures = attempts.filter((a) => !a.ok);
  if (failures.length === 0) {
    parts.push(`running on ${running}, the preferred backend`);
    return parts.map(sentence).join(' ');
  }
  const failed = failures.map((a, i) => {
    const label = BACKEND_LABELS[a.backend];
    if (i === 0 && override && parseBackendName(override.requested) === a.backend) {
      return `${label} was requested by ${requestedBy(override)} but is not available (${a.error})`;
    }
    return `${label} is not available in this browser (${a.error})`;
  });
  parts.push(`${failed.join('; ')}; running on ${running}${override ? ' instead' : ''}`);
  return parts.map(sentence).join(' ');
}
