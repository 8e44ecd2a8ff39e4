/**
 * The browser every test, tool and benchmark runs: Debian's chromium (never a downloaded build),
 * with the flags they share. CHROMIUM_PATH points at another binary.
 */

/** The chromium binary: $CHROMIUM_PATH, else Debian's /usr/bin/chromium. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags for a quiet, offline headless chromium with WebGPU enabled (software adapter here). */
export const chromiumArgs: readonly string[] = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--enable-unsafe-webgpu',
];
