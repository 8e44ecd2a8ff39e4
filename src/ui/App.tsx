/**
 * The page: for now the title and the compute backend (which one, why, and whether it is ready).
 * The dashboard grows here; state comes only from the store.
 */
import type { BackendInfo } from '../runtime/backend';
import { useAppStore } from './store';

/** Short facts about the running backend, e.g. "SIMD · 2 threads". */
function backendDetail(info: BackendInfo): string {
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

/** The app's root component. */
export function App() {
  const status = useAppStore((s) => s.status);
  const backend = useAppStore((s) => s.backend);
  const reason = useAppStore((s) => s.reason);
  const info = useAppStore((s) => s.info);
  const attempts = useAppStore((s) => s.attempts);
  const error = useAppStore((s) => s.error);

  return (
    <main className="app">
      <header>
        <h1>continual-video</h1>
        <p className="tagline">
          Human action recognition in live video, computed in this page: frames never leave it.
        </p>
      </header>

      <section className="panel" aria-labelledby="backend-heading">
        <h2 id="backend-heading">Compute backend</h2>
        <p className="row">
          <span className={`status status-${status}`} data-testid="status">
            {status}
          </span>
          {backend && (
            <span className="badge" data-testid="backend">
              {backend}
            </span>
          )}
          {info && (
            <span className="detail" data-testid="backend-detail">
              {backendDetail(info)}
            </span>
          )}
        </p>
        {reason && <p data-testid="backend-reason">{reason}</p>}
        {error && (
          <p className="error" role="alert" data-testid="error">
            {error}
          </p>
        )}
        {attempts.length > 0 && (
          <details open={attempts.length > 1}>
            <summary>Backends tried</summary>
            <ul data-testid="attempts">
              {attempts.map((a) => (
                <li key={a.backend} data-backend={a.backend} data-ok={a.ok}>
                  {a.backend}: {a.ok ? 'ok' : a.error} ({a.ms.toFixed(0)} ms)
                </li>
              ))}
            </ul>
          </details>
        )}
      </section>
    </main>
  );
}
