/**
 * Falling back after a backend fails while running (a lost WebGPU device, a lost WebGL context):
 * the same decision as at start-up, with the failed backends answering "not available", so the
 * backend module picks the next one in priority order and words the reason.
 */
import {
  chooseBackend,
  type BackendChoice,
  type BackendName,
  type BackendOverride,
  type BackendProbes,
  type Capabilities,
} from './backend';

/** What the worker asks of the backend module: an override, and backends not to use. */
export interface BackendRequest {
  /** A backend asked for by the user, tried first; null for the default order. */
  readonly override: BackendOverride | null;
  /** Backends that failed while running in this session; they count as unavailable. */
  readonly exclude: readonly BackendName[];
}

/** Starts a backend for a request; the worker's is {@link startBackendWith} over the real probes. */
export type BackendStarter = (request: BackendRequest) => Promise<BackendChoice>;

/** The error an excluded backend's probe reports, as the reason sentence will quote it. */
export const FAILED_WHILE_RUNNING = 'it failed while running (GPU device or context lost)';

/** The probes with every excluded backend replaced by one that reports it failed while running. */
export function excludeBackends(
  probes: BackendProbes,
  exclude: readonly BackendName[],
): BackendProbes {
  const failed = () => Promise.resolve({ ok: false as const, error: FAILED_WHILE_RUNNING });
  return {
    webgpu: exclude.includes('webgpu') ? failed : probes.webgpu,
    wasm: exclude.includes('wasm') ? failed : probes.wasm,
    webgl: exclude.includes('webgl') ? failed : probes.webgl,
    cpu: exclude.includes('cpu') ? failed : probes.cpu,
  };
}

/**
 * Runs {@link chooseBackend} over `probes` for a request. After a failure the override is dropped
 * when it names an excluded backend, so the reason reads as a fallback, not a refused request.
 */
export function startBackendWith(
  probes: BackendProbes,
  capabilities: Capabilities,
  request: BackendRequest,
): Promise<BackendChoice> {
  const requested = request.override?.requested.trim().toLowerCase();
  const override =
    request.override && !request.exclude.some((b) => b === requested) ? request.override : null;
  return chooseBackend(excludeBackends(probes, request.exclude), { capabilities, override });
}
