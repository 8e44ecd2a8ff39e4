/**
 * The model controls: which model, which variant (dense or pruned), which mode; and what the
 * loaded model is (trained or not, input, rate, parameters).
 */
import { MODEL_ENTRIES } from '../models/model-entries';
import { INFERENCE_MODES, type InferenceMode } from '../runtime/protocol';
import { useController } from './controller-context';
import { formatCount } from './format';
import { variantFacts } from './variant-facts';
import { DENSE_VARIANT, useAppStore } from './store';

const MODE_LABELS: Readonly<Record<InferenceMode, string>> = {
  online: 'Online: continual, one step per frame',
  offline: 'Offline: clip-based, whole clip per frame',
  both: 'Both: compare side by side',
};

/** The model card. */
export function ModelPanel() {
  const controller = useController();
  const modelId = useAppStore((s) => s.modelId);
  const model = useAppStore((s) => s.model);
  const mode = useAppStore((s) => s.mode);
  const variant = useAppStore((s) => s.variant);
  const loading = useAppStore((s) => s.status === 'loading');
  const entry = MODEL_ENTRIES.find((m) => m.id === modelId);
  const variants = entry?.variants ?? [];
  const info = model?.info;
  const trained = info?.trained ?? entry?.trained ?? false;

  return (
    <section className="card panel-model" aria-labelledby="model-heading">
      <div className="card-head">
        <h2 id="model-heading">Model</h2>
      </div>
      <div className="form-grid">
        <label className="field">
          <span>Network</span>
          <select
            data-testid="model-select"
            value={modelId}
            onChange={(e) => void controller.loadModel(e.target.value)}
          >
            {MODEL_ENTRIES.map((m) => (
              <option key={m.id} value={m.id}>
                {m.displayName}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Variant</span>
          <select
            data-testid="variant"
            value={variant}
            disabled={variants.length === 0}
            aria-describedby="variant-note"
            onChange={(e) => void controller.loadModel(modelId, true, e.target.value)}
          >
            <option value={DENSE_VARIANT}>Dense</option>
            {variants.map((v) => (
              <option key={v.id} value={v.id}>
                {v.displayName}
              </option>
            ))}
          </select>
        </label>
        <label className="field wide">
          <span>Mode</span>
          <select
            data-testid="mode"
            value={mode}
            onChange={(e) => controller.setMode(e.target.value as InferenceMode)}
          >
            {INFERENCE_MODES.map((m) => (
              <option key={m} value={m}>
                {MODE_LABELS[m]}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p className="muted small" id="variant-note">
        {variants.length === 0
          ? 'This model has no lighter variants.'
          : 'Pruned variants: channels removed, accuracy recovered with low-rank adapters fused into the weights. Switching resets the stream.'}
      </p>
      <div className="model-facts" data-testid="model" data-trained={String(trained)}>
        <div className="model-name">
          <strong>{info?.displayName ?? entry?.displayName ?? modelId}</strong>
          {trained ? (
            <span className="tag tag-ok">trained weights</span>
          ) : (
            <span className="tag tag-warn" title="Seeded random weights: for cost and speed only">
              untrained (seeded weights)
            </span>
          )}
          {loading && <span className="tag">loading</span>}
        </div>
        {info && (
          <>
            <dl className="facts">
              <div>
                <dt>Input</dt>
                <dd>
                  {info.input.width} × {info.input.height} px at {info.frameRate} fps
                </dd>
              </div>
              <div>
                <dt>Clip</dt>
                <dd>{info.clipLength} frames</dd>
              </div>
              {info.twinLength !== info.clipLength && (
                <div title="The unpadded clip model whose output the continual model reproduces; offline mode recomputes it">
                  <dt>Offline twin</dt>
                  <dd data-testid="twin-length">{info.twinLength} frames</dd>
                </div>
              )}
              <div>
                <dt>Classes</dt>
                <dd>{formatCount(info.labels.length)}</dd>
              </div>
              <div>
                <dt>Parameters</dt>
                <dd data-testid="model-params">{formatCount(info.params)}</dd>
              </div>
              {info.variant !== undefined &&
                variantFacts(info.variant).map((fact) => (
                  <div key={fact.id}>
                    <dt>{fact.label}</dt>
                    <dd data-testid={fact.id}>{fact.value}</dd>
                  </div>
                ))}
            </dl>
            <p className="muted small">{info.description}</p>
          </>
        )}
      </div>
    </section>
  );
}
