/**
 * The bridge from per-frame data to the screen without React renders: a component passes a
 * painter that writes to its DOM refs or canvas; it runs at most once per animation frame, after
 * the live feed or the store changed (and every `everyMs` for time-based views that scroll).
 */
import { useEffect, useEffectEvent } from 'react';
import type { LiveFeed } from './live-feed';
import { appStore, liveFeed, type AppState } from './store';

/** Paints from the feed and the store's current state; `now` is the page clock (ms). */
export type Painter = (feed: LiveFeed, state: AppState, now: number) => void;

/** Runs `paint` on the animation frame after each change (see the file comment). */
export function useLiveFeed(paint: Painter, everyMs?: number): void {
  const onPaint = useEffectEvent(paint);
  useEffect(() => {
    let frame = 0;
    const schedule = () => {
      if (frame !== 0) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        onPaint(liveFeed, appStore.getState(), performance.now());
      });
    };
    const offFeed = liveFeed.subscribe(schedule);
    const offStore = appStore.subscribe(schedule);
    const timer = everyMs === undefined ? undefined : setInterval(schedule, everyMs);
    schedule();
    return () => {
      offFeed();
      offStore();
      if (frame !== 0) cancelAnimationFrame(frame);
      if (timer !== undefined) clearInterval(timer);
    };
  }, [everyMs]);
}
