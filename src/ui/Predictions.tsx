/**
 * The predictions: top-5 bars of the online (continual) and offline (clip-based) modes, side by
 * side in "both" mode, with their latencies, and the running agreement of the two. Every number
 * is painted from the live feed on animation frames.
 */
import { useRef } from 'react';
import type { LatencyStats } from '../runtime/latency-stats';
import { agreementRate } from './agreement';
import { formatDiff, formatMs, formatProb, formatRate } from './format';
import { labelOf } from './labels';
import type { ModeSnapshot } from './live-feed';
import { useAppStore } from './store';
import { useLiveFeed } from './use-live-feed';

const ROWS = [0, 1, 2, 3, 4] as const;

/** "p50 12 ms · p95 20 ms" for a latency ring. */
function latencyLine(stats: LatencyStats): string {
  const s = stats.summary();
  return s ? `p50 ${formatMs(s.p50)} · p95 ${formatMs(s.p95)}` : 'p50 — · p95 —';
}

/** One mode's top-5 list. */
function Top5List(props: { readonly mode: 'online' | 'offline'; readonly testId: string }) {
  const { mode, testId } = props;
  const twinLength = useAppStore((s) => s.model?.info.twinLength);
  const list = useRef<HTMLOListElement>(null);
  const status = useRef<HTMLParagraphElement>(null);
  const latency = useRef<HTMLSpanElement>(null);
  useLiveFeed((feed, state) => {
    const root = list.current;
    if (!root || !status.current || !latency.current) return;
    const snap: ModeSnapshot = mode === 'online' ? feed.online : feed.offline;
    const top5 = snap.top5;
    const rows = root.children;
    for (const i of ROWS) {
      const row = rows[i] as HTMLLIElement | undefined;
      if (!row) continue;
      const entry = top5?.[i];
      const [name, bar, value] = row.children as unknown as [HTMLElement, HTMLElement, HTMLElement];
      const fillEl = bar.firstElementChild as HTMLElement;
      if (entry) {
        name.textContent = labelOf(state.model?.info.labels, entry.index);
        value.textContent = formatProb(entry.prob);
        fillEl.style.transform = `scaleX(${Math.max(0, Math.min(1, entry.prob))})`;
        row.dataset.empty = 'false';
      } else {
        name.textContent = '';
        value.textContent = '';
        fillEl.style.transform = 'scaleX(0)';
        row.dataset.empty = 'true';
      }
    }
    root.dataset.updated = String(feed.counts.predicted);
    if (top5) {
      status.current.textContent = '';
    } else if (snap.filling) {
      status.current.textContent = `Filling buffers: ${snap.filling.frames} of ${snap.filling.needed} frames`;
    } else {
      status.current.textContent = 'Waiting for frames';
    }
    latency.current.textContent = latencyLine(snap.latency);
  });
  return (
    <div className="top5">
      <div className="top5-head">
        <h3>
          {mode === 'online'
            ? 'Continual (online)'
            : `Clip-based (offline${twinLength === undefined ? '' : `, last ${twinLength} frames`})`}
        </h3>
        <span className="muted small mono" data-testid={`latency-${mode}`} ref={latency} />
      </div>
      <ol className="top5-list" data-testid={testId} data-mode={mode} ref={list}>
        {ROWS.map((i) => (
          <li key={i} data-empty="true">
            <span className="top5-name" />
            <span className="top5-bar">
              <span className="top5-fill" />
            </span>
            <span className="top5-prob mono" />
          </li>
        ))}
      </ol>
      <p className="top5-status muted small" ref={status}>
        Waiting for frames
      </p>
    </div>
  );
}

/** Agreement of the two modes: top-1 agreement rate and the largest difference so far. */
function Agreement() {
  const rate = useRef<HTMLElement>(null);
  const detail = useRef<HTMLSpanElement>(null);
  const diff = useRef<HTMLElement>(null);
  useLiveFeed((feed) => {
    if (!rate.current || !detail.current || !diff.current) return;
    const tally = feed.agreement;
    rate.current.textContent = formatRate(agreementRate(tally));
    detail.current.textContent = `${tally.agreed} of ${tally.compared} frames`;
    diff.current.textContent = formatDiff(tally.maxAbsDiff);
  });
  return (
    <div className="compare">
      <div className="stat">
        <span className="stat-label">Top-1 agreement</span>
        <strong className="stat-value" data-testid="agreement" ref={rate}>
          —
        </strong>
        <span className="muted small" data-testid="agreement-detail" ref={detail} />
      </div>
      <div className="stat">
        <span className="stat-label">Max |Δp| so far</span>
        <strong className="stat-value mono" data-testid="max-diff" ref={diff}>
          —
        </strong>
        <span className="muted small">over all classes and frames</span>
      </div>
    </div>
  );
}

/** The predictions card. */
export function Predictions() {
  const mode = useAppStore((s) => s.mode);
  return (
    <section className="card panel-predictions" aria-labelledby="predictions-heading">
      <div className="card-head">
        <h2 id="predictions-heading">Predictions</h2>
        <span className="muted small">top 5 classes</span>
      </div>
      <div className={mode === 'both' ? 'top5-pair' : 'top5-single'}>
        {mode !== 'offline' && <Top5List mode="online" testId="top5" />}
        {mode !== 'online' && (
          <Top5List mode="offline" testId={mode === 'both' ? 'top5-offline' : 'top5'} />
        )}
      </div>
      {mode === 'both' ? (
        <Agreement />
      ) : (
        <p className="muted small hint">
          Choose mode “both” to run the clip-based model beside the continual one and compare their
          answers frame by frame.
        </p>
      )}
    </section>
  );
}
