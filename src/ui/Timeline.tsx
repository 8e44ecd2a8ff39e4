/**
 * The timeline: the top-1 class over the last minute as coloured bands (one colour per class,
 * opacity by probability) on a canvas, with a legend of the classes on screen.
 */
import { useRef } from 'react';
import { formatProb } from './format';
import { LatencyChart } from './LatencyChart';
import { labelOf } from './labels';
import { ClassColors, binTimeline, legendOf } from './timeline';
import { useLiveFeed } from './use-live-feed';

const WINDOW_MS = 60_000;
/** One-second bins: even a 2.5 fps model lands a prediction in every bin. */
const BINS = 60;
const LEGEND_MAX = 6;

/** The timeline card. */
export function Timeline() {
  const canvas = useRef<HTMLCanvasElement>(null);
  const legend = useRef<HTMLUListElement>(null);
  const colors = useRef<ClassColors | null>(null);
  const modelId = useRef<string | null>(null);

  useLiveFeed((feed, state, now) => {
    const el = canvas.current;
    const list = legend.current;
    if (!el || !list) return;
    colors.current ??= new ClassColors();
    const palette = colors.current;
    const id = state.model?.info.id ?? null;
    if (id !== modelId.current) {
      palette.clear();
      modelId.current = id;
    }
    const bins = binTimeline(feed.timeline(now - WINDOW_MS), now, WINDOW_MS, BINS);
    const labels = state.model?.info.labels;

    const dpr = globalThis.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(el.clientWidth * dpr));
    const height = Math.max(1, Math.round(el.clientHeight * dpr));
    if (el.width !== width || el.height !== height) {
      el.width = width;
      el.height = height;
    }
    const ctx = el.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, width, height);
    const slot = width / BINS;
    bins.forEach((bin, i) => {
      if (!bin) return;
      ctx.globalAlpha = 0.3 + 0.7 * bin.prob;
      ctx.fillStyle = palette.colorOf(bin.cls, now);
      // Overlap by a pixel so neighbouring bands of one class read as one band.
      ctx.fillRect(Math.floor(i * slot), 0, Math.ceil(slot) + 1, height);
    });
    ctx.globalAlpha = 1;

    const entries = legendOf(bins).slice(0, LEGEND_MAX);
    list.replaceChildren(
      ...entries.map((e) => {
        const li = document.createElement('li');
        const swatch = document.createElement('i');
        swatch.style.background = palette.colorOf(e.cls, now);
        const name = document.createElement('span');
        name.textContent = labelOf(labels, e.cls);
        const share = document.createElement('span');
        share.className = 'muted mono';
        share.textContent = formatProb(e.share);
        li.append(swatch, name, share);
        return li;
      }),
    );
    list.dataset.count = String(entries.length);
  }, 250);

  return (
    <section className="card timeline-card panel-timeline" aria-labelledby="timeline-heading">
      <div className="card-head">
        <h2 id="timeline-heading">Timeline</h2>
        <span className="muted small">last 60 seconds</span>
      </div>
      <h3 className="subhead first">Top-1 class</h3>
      <div className="timeline">
        <canvas ref={canvas} data-testid="timeline" aria-label="Top-1 class over the last minute" />
        <div className="timeline-axis small muted" aria-hidden="true">
          <span>−60 s</span>
          <span>−45 s</span>
          <span>−30 s</span>
          <span>−15 s</span>
          <span>now</span>
        </div>
      </div>
      <ul className="timeline-legend small" ref={legend} data-testid="timeline-legend" />
      <h3 className="subhead">Latency of each prediction</h3>
      <LatencyChart />
    </section>
  );
}
