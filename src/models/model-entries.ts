/**
 * The model list, free of TF.js imports so the page can show the picker without pulling the
 * inference engine into its own bundle (models are built in the worker by ./registry).
 */

/** What the model picker lists. */
export interface ModelEntry {
  readonly id: string;
  readonly displayName: string;
  readonly trained: boolean;
}

/** The models the app offers, the default first. */
export const MODEL_ENTRIES: readonly ModelEntry[] = [
  { id: 'movinet-a0-stream', displayName: 'MoViNet-A0-Stream (Kinetics-600)', trained: true },
  // Untrained (seeded weights): for comparing cost and speed, not for recognising anything.
  { id: 'cox3d-xs', displayName: 'CoX3D-XS (untrained)', trained: false },
  { id: 'cox3d-s', displayName: 'CoX3D-S (untrained)', trained: false },
  { id: 'cox3d-m', displayName: 'CoX3D-M (untrained)', trained: false },
  { id: 'coslow-small', displayName: 'CoSlow-small (untrained)', trained: false },
  { id: 'coslowfast-small', displayName: 'CoSlowFast-small (untrained)', trained: false },
];

/** The app's default model. */
export const DEFAULT_MODEL_ID = 'movinet-a0-stream';
