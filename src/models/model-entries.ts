/**
 * The model list, free of TF.js imports so the page can show the picker without pulling the
 * inference engine into its own bundle (models are built in the worker by ./registry).
 */

/** A lighter variant of a model (pruned, adapted, fused), shipped as its own weights folder. */
export interface ModelVariantEntry {
  /** Variant id: its weights live in `public/weights/<model id>-<variant id>/`. */
  readonly id: string;
  readonly displayName: string;
}

/** The id of every model's own (unpruned) weights. */
export const DENSE_VARIANT = 'dense';

/** What the model picker lists. */
export interface ModelEntry {
  readonly id: string;
  readonly displayName: string;
  readonly trained: boolean;
  /** Variants besides the dense model, lightest last; empty when there are none. */
  readonly variants: readonly ModelVariantEntry[];
}

/** The models the app offers, the default first. */
export const MODEL_ENTRIES: readonly ModelEntry[] = [
  {
    id: 'movinet-a0-stream',
    displayName: 'MoViNet-A0-Stream (Kinetics-600)',
    trained: true,
    // Derived by tools/adapters/variants.ts (see its report); lightest last.
    variants: [
      { id: 'p30-splora8', displayName: '30 % pruned + SPLoRA r8' },
      { id: 'p50-ft', displayName: '50 % pruned + fine-tuned' },
    ],
  },
  // Untrained (seeded weights): for comparing cost and speed, not for recognising anything.
  { id: 'cox3d-xs', displayName: 'CoX3D-XS (untrained)', trained: false, variants: [] },
  { id: 'cox3d-s', displayName: 'CoX3D-S (untrained)', trained: false, variants: [] },
  { id: 'cox3d-m', displayName: 'CoX3D-M (untrained)', trained: false, variants: [] },
  { id: 'coslow-small', displayName: 'CoSlow-small (untrained)', trained: false, variants: [] },
  {
    id: 'coslowfast-small',
    displayName: 'CoSlowFast-small (untrained)',
    trained: false,
    variants: [],
  },
];

/** The app's default model. */
export const DEFAULT_MODEL_ID = 'movinet-a0-stream';
