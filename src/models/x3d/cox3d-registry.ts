/**
 * The CoX3D models the registry offers: ids, configurations, and loading of the Kinetics-400
 * class names they are labelled with (public/weights/kinetics400-labels.txt). The weights are
 * seeded, so nothing else is downloaded.
 */
import type { FetchLike } from '../weights/load-weights';
import { WeightsError } from '../weights/weights-error';
import { createCoX3dModel, type CoX3dModel } from './cox3d-model';
import { X3D_L, X3D_M, X3D_S, X3D_XS, type X3dConfig } from './x3d-config';

/** Registry id -> X3D configuration (the published input: T frames of size x size). */
export const COX3D_MODELS: Readonly<Record<string, X3dConfig>> = {
  'cox3d-xs': X3D_XS,
  'cox3d-s': X3D_S,
  'cox3d-m': X3D_M,
  'cox3d-l': X3D_L,
};

/** File name of the Kinetics-400 class names in the weights folder. */
export const KINETICS400_LABELS_FILE = 'kinetics400-labels.txt';

/** Parses a labels file: one class per line, the file ending with a newline. */
export function parseLabelLines(text: string): string[] {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Fetches the Kinetics-400 class names from `weightsBase`; throws a WeightsError users can act on. */
export async function loadKinetics400Labels(
  weightsBase: string,
  fetchImpl: FetchLike = (url, init) => fetch(url, init),
): Promise<string[]> {
  const url = `${weightsBase.replace(/\/+$/, '')}/${KINETICS400_LABELS_FILE}`;
  let response: Response;
  try {
    response = await fetchImpl(url);
  } catch (e) {
    throw new WeightsError(
      'network',
      `Could not download ${url}. Check the connection and reload.`,
      { cause: e },
    );
  }
  if (!response.ok) {
    throw new WeightsError(
      response.status === 404 ? 'missing-shard' : 'network',
      `The labels file ${url} could not be loaded (HTTP ${response.status}).`,
    );
  }
  const labels = parseLabelLines(await response.text());
  if (labels.length !== 400) {
    throw new WeightsError(
      'malformed-manifest',
      `The labels file ${url} has ${labels.length} lines, not the 400 Kinetics-400 classes.`,
    );
  }
  return labels;
}

/**
 * Creates the CoX3D model `id` (a key of {@link COX3D_MODELS}) with seeded weights and the
 * Kinetics-400 labels from `weightsBase`.
 */
export async function loadCoX3dModel(
  id: string,
  weightsBase: string,
  fetchImpl?: FetchLike,
): Promise<CoX3dModel> {
  const config = COX3D_MODELS[id];
  if (config === undefined) {
    throw new Error(`Unknown CoX3D model "${id}": ${Object.keys(COX3D_MODELS).join(', ')}.`);
  }
  const labels = await loadKinetics400Labels(weightsBase, fetchImpl);
  return createCoX3dModel({ config, labels, id });
}
