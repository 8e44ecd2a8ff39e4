import { describe, expect, it } from 'vitest';
import { message, type ModeOutcome, type PredictionMessage } from '../runtime/protocol';
import { LiveFeed } from './live-feed';

const scores = (latencyMs: number, ...top: [number, number][]): ModeOutcome => ({
  kind: 'scores',
  top5: top.map(([index, prob]) => ({ index, prob })),
  latencyMs,
});

const filling = (frames: number, needed: number, latencyMs = 1): ModeOutcome => ({
  kind: 'filling',
  frames,
  needed,
  latencyMs,
});

function prediction(
  frameId: number,
  parts: Partial<Pick<PredictionMessage, 'online' | 'offline' | 'agreement'>>,
  preprocessMs = 2,
): PredictionMessage {
  return message({ type: 'prediction', frameId, timestamp: frameId / 5, preprocessMs, ...parts });
}

describe('LiveFeed', () => {
  it('keeps the latest answer of each mode, and the filling state before it', () => {
    const feed = new LiveFeed();
    feed.prediction(prediction(0, { online: filling(1, 3), offline: filling(1, 8) }), 0);
    expect(feed.online.top5).toBeNull();
    expect(feed.online.filling).toEqual({ frames: 1, needed: 3 });
    expect(feed.primary).toBeNull();

    feed.prediction(prediction(1, { online: scores(10, [12, 0.9], [3, 0.05]) }), 200);
    expect(feed.online.filling).toBeNull();
    expect(feed.online.top5).toEqual([
      { index: 12, prob: 0.9 },
      { index: 3, prob: 0.05 },
    ]);
    expect(feed.primary?.[0]?.index).toBe(12);
    // The offline mode did not run on that frame: its last state stays.
    expect(feed.offline.filling).toEqual({ frames: 1, needed: 8 });
  });

  it('headlines the offline answer when the online mode has none', () => {
    const feed = new LiveFeed();
    feed.prediction(prediction(0, { offline: scores(50, [7, 0.6]) }), 0);
    expect(feed.primary).toEqual([{ index: 7, prob: 0.6 }]);
  });

  it('measures latencies per mode, pre-processing and the round trip', () => {
    const feed = new LiveFeed();
    feed.frameSent(0, 1000);
    feed.frameSent(1, 1200);
    feed.prediction(prediction(0, { online: scores(10, [1, 1]) }, 3), 1040);
    feed.prediction(
      prediction(1, { online: scores(30, [1, 1]), offline: scores(90, [1, 1]) }, 5),
      1290,
    );
    // An answer to a frame never recorded as sent has no round trip.
    feed.prediction(prediction(99, { online: scores(20, [1, 1]) }, 4), 1300);
    expect(feed.online.latency.values()).toEqual([10, 30, 20]);
    expect(feed.online.latency.percentile(50)).toBe(20);
    expect(feed.offline.latency.values()).toEqual([90]);
    expect(feed.preprocess.values()).toEqual([3, 5, 4]);
    expect(feed.roundTrip.values()).toEqual([40, 90]);
    expect(feed.counts).toEqual({ sent: 2, predicted: 3 });
    expect(feed.lastPredictionAt).toBe(1300);
  });

  it('forgets the oldest unanswered frames beyond 64', () => {
    const feed = new LiveFeed();
    for (let id = 0; id < 65; id++) feed.frameSent(id, id);
    feed.prediction(prediction(0, { online: scores(1, [0, 1]) }), 100);
    feed.prediction(prediction(1, { online: scores(1, [0, 1]) }), 100);
    expect(feed.roundTrip.values()).toEqual([99]);
  });

  it('tallies agreement and online steps for the cost', () => {
    const feed = new LiveFeed();
    feed.prediction(prediction(0, { online: filling(1, 2) }), 0);
    feed.prediction(
      prediction(1, {
        online: scores(1, [4, 0.5]),
        offline: scores(1, [4, 0.6]),
        agreement: { top1Agree: true, maxAbsDiff: 0.1 },
      }),
      1,
    );
    feed.prediction(
      prediction(2, {
        online: scores(1, [4, 0.5]),
        offline: scores(1, [2, 0.6]),
        agreement: { top1Agree: false, maxAbsDiff: 0.3 },
      }),
      2,
    );
    feed.prediction(prediction(3, { offline: scores(1, [2, 0.6]) }), 3);
    expect(feed.agreement).toEqual({ compared: 2, agreed: 1, maxAbsDiff: 0.3 });
    // Frame 3 ran offline only: no online step.
    expect(feed.steps).toEqual({ steps: 3, predictions: 2 });
  });

  it('keeps a timeline of top-1 samples and a latency history, oldest first', () => {
    const feed = new LiveFeed({ timelineCapacity: 3 });
    feed.prediction(prediction(0, { online: filling(1, 2, 4) }), 100);
    feed.prediction(prediction(1, { online: scores(5, [9, 0.75]) }), 200);
    feed.prediction(
      prediction(2, { online: scores(6, [8, 0.5]), offline: scores(60, [8, 0.25]) }),
      300,
    );
    feed.prediction(prediction(3, { offline: scores(70, [2, 0.125]) }), 400);
    // Capacity 3: the sample at 100 is gone.
    expect(feed.timeline()).toEqual([
      { t: 200, cls: 9, prob: 0.75 },
      { t: 300, cls: 8, prob: 0.5 },
      { t: 400, cls: 2, prob: 0.125 },
    ]);
    expect(feed.timeline(250).map((x) => x.t)).toEqual([300, 400]);
    expect(feed.latencyHistory()).toEqual({
      t: [200, 300, 400],
      online: [5, 6, null],
      offline: [null, 60, 70],
    });
  });

  it('skips predictions without scores on the timeline but keeps their latency', () => {
    const feed = new LiveFeed();
    feed.prediction(prediction(0, { online: filling(1, 2, 4) }), 100);
    expect(feed.timeline()).toEqual([]);
    expect(feed.latencyHistory()).toEqual({ t: [100], online: [4], offline: [null] });
  });

  it('notifies subscribers on each change, and not after unsubscribing', () => {
    const feed = new LiveFeed();
    let calls = 0;
    const off = feed.subscribe(() => calls++);
    const v0 = feed.version;
    feed.frameSent(0, 0);
    feed.prediction(prediction(0, { online: scores(1, [0, 1]) }), 1);
    feed.setDropped({ worker: 2, page: 1 });
    feed.setDropped({ worker: 2, page: 1 }); // no change, no call
    expect(calls).toBe(3);
    expect(feed.version).toBe(v0 + 3);
    expect(feed.dropped).toEqual({ worker: 2, page: 1 });
    off();
    feed.resetStream();
    expect(calls).toBe(3);
  });

  it('a stream reset clears the answers and keeps the tallies; clear() forgets all', () => {
    const feed = new LiveFeed();
    feed.frameSent(0, 0);
    feed.prediction(
      prediction(0, {
        online: scores(1, [4, 0.5]),
        offline: scores(2, [4, 0.6]),
        agreement: { top1Agree: true, maxAbsDiff: 0.1 },
      }),
      10,
    );
    feed.resetStream();
    expect(feed.online.top5).toBeNull();
    expect(feed.offline.top5).toBeNull();
    expect(feed.agreement.compared).toBe(1);
    expect(feed.timeline()).toHaveLength(1);

    feed.prediction(
      prediction(1, { online: scores(1, [4, 0.5]), offline: scores(2, [4, 0.6]) }),
      20,
    );
    feed.clearMode('offline');
    expect(feed.offline.top5).toBeNull();
    expect(feed.online.top5).not.toBeNull();

    feed.setDropped({ worker: 5, page: 2 });
    feed.clear();
    expect(feed.online.top5).toBeNull();
    expect(feed.online.latency.count).toBe(0);
    expect(feed.preprocess.count).toBe(0);
    expect(feed.agreement).toEqual({ compared: 0, agreed: 0, maxAbsDiff: null });
    expect(feed.steps).toEqual({ steps: 0, predictions: 0 });
    expect(feed.counts).toEqual({ sent: 0, predicted: 0 });
    expect(feed.dropped).toEqual({ worker: 0, page: 0 });
    expect(feed.lastPredictionAt).toBeNull();
    expect(feed.timeline()).toEqual([]);
    expect(feed.framesOut.rate(30)).toBeNull();
  });

  it('refuses a bad timeline capacity', () => {
    expect(() => new LiveFeed({ timelineCapacity: 0 })).toThrow(/capacity/);
  });
});
