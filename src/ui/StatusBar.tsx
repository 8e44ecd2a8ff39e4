/**
 * The header's status: a pill (loading / ready / running / error), the backend badge, and a
 * progress bar while a model loads (weight bytes, then warm-up steps).
 */
import { MODEL_ENTRIES } from '../models/model-entries';
import { formatBytes, progressFraction } from './format';
import { useAppStore, type LoadStage } from './store';

/** Words and fraction for a load stage. */
function describeStage(stage: LoadStage): { text: string; fraction: number | null } {
  switch (stage.phase) {
    case 'backend':
      return { text: 'Starting the compute backend…', fraction: null };
    case 'weights':
      return {
        text: `Downloading weights ${formatBytes(stage.loaded)} of ${formatBytes(stage.total)}`,
        fraction: progressFraction(stage.loaded, stage.total),
      };
    case 'warmup':
      return {
        text: `Warming up kernels, step ${stage.loaded} of ${stage.total}`,
        fraction: progressFraction(stage.loaded, stage.total),
      };
  }
}

/** The status pill and backend badge. */
export function StatusPill() {
  const status = useAppStore((s) => s.status);
  const backend = useAppStore((s) => s.backend);
  return (
    <div className="status-group">
      <span className={`status status-${status}`} data-testid="status" aria-live="polite">
        {status}
      </span>
      {backend && (
        <span className="badge" data-testid="backend" title="TF.js backend">
          {backend}
        </span>
      )}
    </div>
  );
}

/** The load progress, shown only while loading. */
export function LoadProgress() {
  const stage = useAppStore((s) => s.loading);
  const modelId = useAppStore((s) => s.modelId);
  if (stage === null) return null;
  const { text, fraction } = describeStage(stage);
  return (
    <div className="load" data-testid="progress" data-phase={stage.phase}>
      <div className="load-text">
        <span>
          Loading{' '}
          <strong>{MODEL_ENTRIES.find((m) => m.id === modelId)?.displayName ?? modelId}</strong>
        </span>
        <span className="muted">{text}</span>
      </div>
      {fraction === null ? (
        <div className="bar indeterminate" role="progressbar" aria-label={text}>
          <span />
        </div>
      ) : (
        <div
          className="bar"
          role="progressbar"
          aria-label={text}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round(fraction * 100)}
        >
          <span style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
        </div>
      )}
    </div>
  );
}
