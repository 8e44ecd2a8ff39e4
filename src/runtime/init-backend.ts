/**
 * Starts the best TF.js backend for this browser: reads the capabilities and any override, then
 * lets {@link chooseBackend} run the real probes.
 */
import { chooseBackend, resolveOverride, type BackendChoice } from './backend';
import { browserProbes, readCapabilities } from './probes';

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** Run on this backend if it works (wins over the URL). */
  readonly override?: string | null;
  /** The page's query string, read for `?backend=`; defaults to the current location's. */
  readonly search?: string;
}

/** Picks, initialises and checks a backend; see {@link BackendChoice} for what it reports. */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendChoice> {
  const search = options.search ?? globalThis.location?.search ?? '';
  return chooseBackend(browserProbes, {
    capabilities: readCapabilities(),
    override: resolveOverride(options.override, search),
  });
}
