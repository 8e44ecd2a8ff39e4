/**
 * The compute backend: which one, why, what its probe found, every backend tried, and a picker to
 * ask for another.
 */
import {
  BACKEND_LABELS,
  BACKEND_PRIORITY,
  parseBackendName,
  type BackendInfo,
} from '../runtime/backend';
import { useController } from './controller-context';
import { useAppStore } from './store';

/** Short facts about the running backend, e.g. "SIMD · 2 threads". */
export function backendDetail(info: BackendInfo): string {
  switch (info.backend) {
    case 'webgpu':
      return info.software ? `${info.adapter} · software` : info.adapter;
    case 'wasm':
      return [
        info.simd ? 'SIMD' : 'no SIMD',
        info.multithread ? 'multi-threaded' : 'single-threaded',
        `${info.threads} ${info.threads === 1 ? 'thread' : 'threads'} in the pool`,
      ].join(' · ');
    case 'webgl':
      return `WebGL ${info.version}`;
    case 'cpu':
      return 'JavaScript';
  }
}

/** The backend card. */
export function BackendPanel() {
  const backend = useAppStore((s) => s.backend);
  const reason = useAppStore((s) => s.reason);
  const info = useAppStore((s) => s.info);
  const attempts = useAppStore((s) => s.attempts);
  const request = useAppStore((s) => s.backendRequest);
  const loading = useAppStore((s) => s.status === 'loading');
  const controller = useController();
  return (
    <section className="card" aria-labelledby="backend-heading">
      <div className="card-head">
        <h2 id="backend-heading">Compute backend</h2>
        {backend && <span className="badge badge-soft">{backend}</span>}
      </div>
      {info ? (
        <p className="mono small" data-testid="backend-detail">
          {backendDetail(info)}
        </p>
      ) : (
        <p className="muted small">Choosing a backend…</p>
      )}
      {reason && <p data-testid="backend-reason">{reason}</p>}
      <label className="field">
        <span>Run on</span>
        <select
          data-testid="backend-picker"
          value={request}
          disabled={loading}
          onChange={(e) => void controller.setBackend(parseBackendName(e.target.value) ?? 'auto')}
        >
          <option value="auto">Best available (WebGPU, WASM, WebGL, CPU)</option>
          {BACKEND_PRIORITY.map((b) => (
            <option key={b} value={b}>
              {BACKEND_LABELS[b]}
            </option>
          ))}
        </select>
      </label>
      {attempts.length > 0 && (
        <details open={attempts.length > 1}>
          <summary>Backends tried</summary>
          <ul className="attempts" data-testid="attempts">
            {attempts.map((a) => (
              <li key={a.backend} data-backend={a.backend} data-ok={a.ok}>
                <span className={a.ok ? 'dot dot-ok' : 'dot dot-err'} aria-hidden="true" />
                <span className="mono">{a.backend}</span>: {a.ok ? 'ok' : a.error} (
                {a.ms.toFixed(0)} ms)
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}
