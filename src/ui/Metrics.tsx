/**
 * Performance (latency percentiles, frames in and out per second, drops) and cost (FLOPs per step
 * and per clip, FLOPs saved so far, state memory). Per-frame figures are painted from the live
 * feed; the model's fixed costs come from the store.
 */
import { useRef } from 'react';
import type { LatencyStats } from '../runtime/latency-stats';
import { stepSpeedup, summarizeCost } from './cost';
import {
  formatBytes,
  formatCount,
  formatFactor,
  formatFlops,
  formatGflops,
  formatMs,
  formatPerSecond,
} from './format';
import { useAppStore } from './store';
import { useLiveFeed } from './use-live-feed';

function percentiles(stats: LatencyStats): [string, string] {
  const s = stats.summary();
  return s ? [formatMs(s.p50), formatMs(s.p95)] : ['—', '—'];
}

/** Sets the text of a ref'd element if it is mounted. */
function put(ref: { readonly current: HTMLElement | null }, text: string): void {
  if (ref.current && ref.current.textContent !== text) ref.current.textContent = text;
}

/** Latency, throughput and drops. */
export function PerformancePanel() {
  const onP50 = useRef<HTMLTableCellElement>(null);
  const onP95 = useRef<HTMLTableCellElement>(null);
  const offP50 = useRef<HTMLTableCellElement>(null);
  const offP95 = useRef<HTMLTableCellElement>(null);
  const pre = useRef<HTMLElement>(null);
  const trip = useRef<HTMLElement>(null);
  const fpsIn = useRef<HTMLElement>(null);
  const fpsOut = useRef<HTMLElement>(null);
  const dropped = useRef<HTMLElement>(null);
  const droppedDetail = useRef<HTMLElement>(null);
  useLiveFeed((feed, _state, now) => {
    const [a, b] = percentiles(feed.online.latency);
    const [c, d] = percentiles(feed.offline.latency);
    put(onP50, a);
    put(onP95, b);
    put(offP50, c);
    put(offP95, d);
    put(pre, formatMs(feed.preprocess.percentile(50)));
    put(trip, formatMs(feed.roundTrip.percentile(50)));
    put(fpsIn, formatPerSecond(feed.framesIn.rate(now)));
    put(fpsOut, formatPerSecond(feed.framesOut.rate(now)));
    const { worker, page } = feed.dropped;
    put(dropped, formatCount(worker + page));
    put(droppedDetail, `${formatCount(page)} in the page · ${formatCount(worker)} in the worker`);
  }, 500);
  return (
    <section className="card" aria-labelledby="perf-heading">
      <div className="card-head">
        <h2 id="perf-heading">Performance</h2>
        <span className="muted small">last 120 frames</span>
      </div>
      <table className="latency-table">
        <thead>
          <tr>
            <th scope="col">Latency per frame</th>
            <th scope="col">p50</th>
            <th scope="col">p95</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">Continual step</th>
            <td className="mono" data-testid="latency-online-p50" ref={onP50}>
              —
            </td>
            <td className="mono" data-testid="latency-online-p95" ref={onP95}>
              —
            </td>
          </tr>
          <tr>
            <th scope="row">Clip-based prediction</th>
            <td className="mono" data-testid="latency-offline-p50" ref={offP50}>
              —
            </td>
            <td className="mono" data-testid="latency-offline-p95" ref={offP95}>
              —
            </td>
          </tr>
        </tbody>
      </table>
      <div className="stat-grid">
        <div className="stat">
          <span className="stat-label">Frames in</span>
          <strong className="stat-value mono" data-testid="fps-in" ref={fpsIn}>
            —
          </strong>
        </div>
        <div className="stat">
          <span className="stat-label">Predictions out</span>
          <strong className="stat-value mono" data-testid="fps-out" ref={fpsOut}>
            —
          </strong>
        </div>
        <div className="stat">
          <span className="stat-label">Dropped frames</span>
          <strong className="stat-value mono" data-testid="dropped" ref={dropped}>
            0
          </strong>
          <span className="muted small" ref={droppedDetail} />
        </div>
        <div className="stat">
          <span className="stat-label">Pre-processing p50</span>
          <strong className="stat-value mono" data-testid="preprocess" ref={pre}>
            —
          </strong>
        </div>
        <div className="stat">
          <span className="stat-label">Round trip p50</span>
          <strong className="stat-value mono" data-testid="round-trip" ref={trip}>
            —
          </strong>
          <span className="muted small">frame sent → prediction back</span>
        </div>
      </div>
    </section>
  );
}

/** FLOPs per step and per clip, FLOPs saved so far, and the state's memory. */
export function CostPanel() {
  const model = useAppStore((s) => s.model);
  const saved = useRef<HTMLElement>(null);
  const ratio = useRef<HTMLElement>(null);
  const detail = useRef<HTMLElement>(null);
  useLiveFeed((feed, state) => {
    const m = state.model;
    if (!m) {
      put(saved, '—');
      put(ratio, '');
      put(detail, '');
      return;
    }
    const cost = summarizeCost(feed.steps, m.flopsPerStep, m.flopsPerClip);
    put(saved, formatGflops(cost.saved));
    put(ratio, cost.ratio === null ? '' : `${formatFactor(cost.ratio)} fewer FLOPs`);
    put(
      detail,
      `${formatGflops(cost.continual)} spent continually vs ${formatGflops(cost.clipBased)} ` +
        `clip-based, over ${formatCount(feed.steps.steps)} steps`,
    );
  });
  const speedup = model ? stepSpeedup(model.flopsPerStep, model.flopsPerClip) : null;
  return (
    <section className="card" aria-labelledby="cost-heading">
      <div className="card-head">
        <h2 id="cost-heading">Cost</h2>
        <span className="muted small">FLOPs = multiply-adds</span>
      </div>
      <div className="stat-grid">
        <div className="stat">
          <span className="stat-label">Per continual step</span>
          <strong className="stat-value mono" data-testid="flops-step">
            {model ? formatFlops(model.flopsPerStep.macs) : '—'}
          </strong>
        </div>
        <div className="stat">
          <span className="stat-label">
            Per clip-based prediction{model ? ` (${model.info.clipLength} frames)` : ''}
          </span>
          <strong className="stat-value mono" data-testid="flops-clip">
            {model ? formatFlops(model.flopsPerClip.macs) : '—'}
          </strong>
          {speedup !== null && (
            <span className="muted small">= {formatFactor(speedup)} the cost of a step</span>
          )}
        </div>
        <div className="stat">
          <span className="stat-label">State memory</span>
          <strong className="stat-value mono" data-testid="state-bytes">
            {model ? formatBytes(model.stateBytes) : '—'}
          </strong>
          <span className="muted small">float32 buffers carried between frames</span>
        </div>
      </div>
      <div className="saved" data-testid="flops-saved">
        <span className="stat-label">Saved against clip-based inference on this stream</span>
        <div className="saved-row">
          <strong className="saved-value mono" ref={saved}>
            —
          </strong>
          <span className="saved-ratio" ref={ratio} />
        </div>
        <span className="muted small" ref={detail} />
      </div>
    </section>
  );
}
