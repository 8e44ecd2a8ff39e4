/**
 * The worker's backend starter: the real probes, the worker's capabilities, and the exclusions of
 * {@link startBackendWith}. Kept apart from the engine so the engine runs in Node with fakes.
 */
import type { BackendChoice } from './backend';
import { startBackendWith, type BackendRequest } from './backend-fallback';
import { browserProbes, readCapabilities } from './probes';

/** Starts the best available backend in this Worker for a request. */
export function startWorkerBackend(request: BackendRequest): Promise<BackendChoice> {
  return startBackendWith(browserProbes, readCapabilities(), request);
}
