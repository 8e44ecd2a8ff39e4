/**
 * Test helpers for the MoViNet builder (imported by *.test.ts only): the committed weights,
 * read from disk in Node and from the vitest dev server (which serves public/) in the browser.
 */
import type { FetchLike, LoadedWeights } from '../weights/load-weights';
import { loadWeights } from '../weights/load-weights';

/** The weights folder as the app serves it. */
export const MOVINET_WEIGHTS_URL = '/weights/movinet-a0-stream';

/** Reads public/weights/movinet-a0-stream/<file> from disk (Node only). */
async function nodeFetch(): Promise<FetchLike> {
  const { readFile } = await import('node:fs/promises');
  const folder = new URL('../../../public/weights/movinet-a0-stream/', import.meta.url);
  return async (url) => {
    const file = url.slice(MOVINET_WEIGHTS_URL.length + 1);
    try {
      return new Response(await readFile(new URL(file, folder)));
    } catch {
      return new Response('not found', { status: 404 });
    }
  };
}

/** Serves the weights folder at {@link MOVINET_WEIGHTS_URL}: from disk in Node, else the dev server. */
export async function movinetFetch(): Promise<FetchLike> {
  return typeof window === 'undefined' ? nodeFetch() : (url) => globalThis.fetch(url);
}

/** The committed manifest's `config` (parsed JSON). */
export async function loadMovinetConfig(): Promise<Record<string, unknown>> {
  const response = await (await movinetFetch())(`${MOVINET_WEIGHTS_URL}/manifest.json`);
  const manifest = (await response.json()) as { config: Record<string, unknown> };
  return manifest.config;
}

/**
 * Loads the committed MoViNet-A0-Stream weights (uncached). `editManifest` may change the
 * manifest's JSON before the loader reads it, e.g. to rename a tensor.
 */
export async function loadMovinetWeights(
  editManifest?: (manifest: Record<string, unknown>) => void,
): Promise<LoadedWeights> {
  const base = await movinetFetch();
  const fetchImpl: FetchLike = async (url) => {
    const response = await base(url);
    if (editManifest === undefined || !url.endsWith('/manifest.json')) return response;
    const json = (await response.json()) as Record<string, unknown>;
    editManifest(json);
    return new Response(JSON.stringify(json));
  };
  return loadWeights(MOVINET_WEIGHTS_URL, { fetchImpl, cache: false });
}
