/**
 * Latency of each prediction over the last minute (uPlot): the continual step against the
 * clip-based prediction, so the gap between them is visible, not only their percentiles.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useLiveFeed } from './use-live-feed';

/** Seconds of history shown. */
const WINDOW_S = 60;

const COLORS = { online: '#4f46e5', offline: '#e69f00' } as const;

/** The chart card body. */
export function LatencyChart() {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    // Canvas text does not understand currentColor: take the theme's colour from the element.
    const axis = {
      stroke: getComputedStyle(el).color,
      grid: { stroke: 'rgba(128,128,128,0.18)', width: 1 },
      ticks: { stroke: 'rgba(128,128,128,0.3)', width: 1 },
      font: '11px system-ui, sans-serif',
    };
    const chart = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: 140,
        legend: { show: false },
        cursor: { show: false },
        scales: {
          x: { time: false, range: [-WINDOW_S, 0] },
          y: { range: (_u, _min, max) => [0, Math.max(10, max * 1.15)] },
        },
        axes: [
          { ...axis, values: (_u, ticks) => ticks.map((t) => (t === 0 ? 'now' : `${t}s`)) },
          {
            ...axis,
            size: 58,
            values: (_u, ticks) =>
              ticks.map((t) => (t >= 1000 ? `${+(t / 1000).toFixed(1)} s` : `${Math.round(t)} ms`)),
          },
        ],
        series: [
          {},
          { label: 'continual', stroke: COLORS.online, width: 1.5, points: { show: false } },
          { label: 'clip-based', stroke: COLORS.offline, width: 1.5, points: { show: false } },
        ],
      },
      [[], [], []],
      el,
    );
    plot.current = chart;
    const resize = new ResizeObserver(() => {
      chart.setSize({ width: Math.max(200, el.clientWidth), height: 140 });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, []);

  useLiveFeed((feed, _state, now) => {
    const chart = plot.current;
    if (!chart) return;
    const h = feed.latencyHistory(now - WINDOW_S * 1000);
    const x = h.t.map((t) => (t - now) / 1000);
    chart.setData([x, h.online, h.offline] as uPlot.AlignedData, true);
  }, 500);

  return (
    <figure className="chart">
      <div ref={box} data-testid="latency-chart" />
      <figcaption className="legend-inline small">
        <span>
          <i style={{ background: COLORS.online }} /> continual step
        </span>
        <span>
          <i style={{ background: COLORS.offline }} /> clip-based prediction
        </span>
      </figcaption>
    </figure>
  );
}
