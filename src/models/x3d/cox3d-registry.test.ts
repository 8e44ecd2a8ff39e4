import { describe, expect, it } from 'vitest';
import { WeightsError } from '../weights/weights-error';
import {
  COX3D_MODELS,
  KINETICS400_LABELS_FILE,
  loadCoX3dModel,
  loadKinetics400Labels,
  parseLabelLines,
} from './cox3d-registry';
import { X3D_L, X3D_M, X3D_S, X3D_XS } from './x3d-config';

const NAMES = Array.from({ length: 400 }, (_, i) => `class ${i}`);

/** A fetch that serves `body` with `status` and records the URLs asked for. */
function serve(body: string, status = 200) {
  const urls: string[] = [];
  const fetchImpl = (url: string) => {
    urls.push(url);
    return Promise.resolve(new Response(body, { status }));
  };
  return { urls, fetchImpl };
}

describe('COX3D_MODELS', () => {
  it('maps the registry ids to the published configurations', () => {
    expect(COX3D_MODELS).toEqual({
      'cox3d-xs': X3D_XS,
      'cox3d-s': X3D_S,
      'cox3d-m': X3D_M,
      'cox3d-l': X3D_L,
    });
  });
});

describe('parseLabelLines', () => {
  it('splits lines, drops the final newline and carriage returns', () => {
    expect(parseLabelLines('a\nb c\n')).toEqual(['a', 'b c']);
    expect(parseLabelLines('a\r\nb\r\n')).toEqual(['a', 'b']);
    expect(parseLabelLines('a\nb')).toEqual(['a', 'b']);
  });
});

describe('loadKinetics400Labels', () => {
  it('fetches the labels file from the weights folder', async () => {
    const { urls, fetchImpl } = serve(`${NAMES.join('\n')}\n`);
    expect(await loadKinetics400Labels('/base/weights/', fetchImpl)).toEqual(NAMES);
    expect(urls).toEqual([`/base/weights/${KINETICS400_LABELS_FILE}`]);
  });

  it('says when the file is missing', async () => {
    const { fetchImpl } = serve('not found', 404);
    const error = await loadKinetics400Labels('/w', fetchImpl).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WeightsError);
    expect((error as WeightsError).kind).toBe('missing-shard');
    expect((error as Error).message).toMatch(/HTTP 404/);
  });

  it('reports other HTTP errors and network failures as network errors', async () => {
    const { fetchImpl } = serve('oops', 500);
    const http = await loadKinetics400Labels('/w', fetchImpl).catch((e: unknown) => e);
    expect((http as WeightsError).kind).toBe('network');
    const offline = await loadKinetics400Labels('/w', () =>
      Promise.reject(new TypeError('Failed to fetch')),
    ).catch((e: unknown) => e);
    expect((offline as WeightsError).kind).toBe('network');
    expect((offline as Error).message).toMatch(/Could not download \/w\/kinetics400-labels.txt/);
  });

  it('rejects a file without exactly 400 classes', async () => {
    const { fetchImpl } = serve(`${NAMES.slice(0, 399).join('\n')}\n`);
    await expect(loadKinetics400Labels('/w', fetchImpl)).rejects.toThrow(/399 lines, not the 400/);
  });
});

describe('loadCoX3dModel', () => {
  it('rejects an unknown id before downloading anything', async () => {
    const { urls, fetchImpl } = serve('');
    await expect(loadCoX3dModel('cox3d-xxl', '/w', fetchImpl)).rejects.toThrow(
      /Unknown CoX3D model "cox3d-xxl": cox3d-xs, cox3d-s, cox3d-m, cox3d-l/,
    );
    expect(urls).toEqual([]);
  });
});
