/**
 * Entry of soak.html: exposes {@link runSoak} to the driver (tools/soak/soak.ts) as
 * `window.runSoak`, and says on the page that it is ready.
 */
import { runSoak, type SoakConfig } from './run-soak';

declare global {
  interface Window {
    /** Set by this page; called by the soak driver. */
    runSoak?: (config: SoakConfig) => ReturnType<typeof runSoak>;
  }
}

window.runSoak = runSoak;
document.body.dataset['ready'] = 'true';
