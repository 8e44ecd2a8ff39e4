/**
 * Entry of bench.html: exposes {@link runPage} to the Playwright driver (tools/bench/bench.ts) as
 * `window.runBench`, and says on the page that it is ready.
 */
import { runPage, type PageConfig } from './run-bench';

declare global {
  interface Window {
    /** Set by this page; called by the bench driver. */
    runBench?: (config: PageConfig) => ReturnType<typeof runPage>;
  }
}

window.runBench = runPage;
document.body.dataset['ready'] = 'true';
