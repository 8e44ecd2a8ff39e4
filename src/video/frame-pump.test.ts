import { describe, expect, it } from 'vitest';
import type { ResetReason } from '../runtime/protocol';
import {
  FramePump,
  grabRegion,
  type GrabRegion,
  type PumpedFrame,
  type VideoFrameInfo,
  type VideoLike,
} from './frame-pump';

/** A video whose frames the test presents by hand. */
class FakeVideo implements VideoLike {
  videoWidth = 640;
  videoHeight = 480;
  currentTime = 0;
  seeking = false;
  private callbacks = new Map<number, (now: number, m: VideoFrameInfo) => void>();
  private nextHandle = 1;
  readonly listeners = new Map<string, Set<() => void>>();

  requestVideoFrameCallback(cb: (now: number, m: VideoFrameInfo) => void): number {
    const handle = this.nextHandle++;
    this.callbacks.set(handle, cb);
    return handle;
  }
  cancelVideoFrameCallback(handle: number): void {
    this.callbacks.delete(handle);
  }
  addEventListener(type: string, listener: () => void): void {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)?.add(listener);
  }
  removeEventListener(type: string, listener: () => void): void {
    this.listeners.get(type)?.delete(listener);
  }
  fire(type: string): void {
    for (const l of [...(this.listeners.get(type) ?? [])]) l();
  }
  /** Presents a frame: runs the callbacks registered before it. */
  present(mediaTime: number, presentedFrames?: number): void {
    const pending = [...this.callbacks.values()];
    this.callbacks.clear();
    const meta = presentedFrames === undefined ? { mediaTime } : { mediaTime, presentedFrames };
    for (const cb of pending) cb(0, meta);
  }
  get waiting(): number {
    return this.callbacks.size;
  }
}

/** A stand-in bitmap that records being closed. */
function bitmap(): ImageBitmap & { closed: boolean } {
  const b = { closed: false, width: 1, height: 1, close: () => (b.closed = true) };
  return b as unknown as ImageBitmap & { closed: boolean };
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function pump(video: VideoLike, grab?: (v: VideoLike, r: GrabRegion) => Promise<ImageBitmap>) {
  const frames: PumpedFrame[] = [];
  const resets: ResetReason[] = [];
  const regions: GrabRegion[] = [];
  const p = new FramePump(video, {
    targetFps: 5,
    outputSize: 172,
    onFrame: (f) => frames.push(f),
    onReset: (r) => resets.push(r),
    grab: (v, r) => {
      regions.push(r);
      return grab ? grab(v, r) : Promise.resolve(bitmap());
    },
  });
  return { p, frames, resets, regions };
}

describe('grabRegion', () => {
  it('cuts the centred square and scales it down to the output size, never up', () => {
    expect(grabRegion(640, 480, 172)).toEqual({
      sx: 80,
      sy: 0,
      sw: 480,
      sh: 480,
      resizeWidth: 172,
      resizeHeight: 172,
    });
    expect(grabRegion(720, 1280, 224)).toMatchObject({ sx: 0, sy: 280, sw: 720, resizeWidth: 224 });
    expect(grabRegion(100, 80, 172)).toMatchObject({
      sx: 10,
      sw: 80,
      resizeWidth: 80,
      resizeHeight: 80,
    });
    expect(() => grabRegion(640, 480, 0)).toThrow(/positive integer/);
    expect(() => grabRegion(640, 480, 17.5)).toThrow(/positive integer/);
  });
});

describe('FramePump', () => {
  it('samples 30 fps down to 5 fps and hands on small centred grabs', async () => {
    const video = new FakeVideo();
    const { p, frames, regions, resets } = pump(video);
    p.start();
    expect(p.active).toBe(true);
    for (let i = 0; i < 60; i++) {
      video.present(i / 30, i + 1);
      await tick();
    }
    expect(frames.map((f) => f.timestamp)).toEqual(
      Array.from({ length: 10 }, (_, k) => (6 * k) / 30),
    );
    expect(regions[0]).toEqual(grabRegion(640, 480, 172));
    expect(p.stats).toEqual({ framesIn: 60, missed: 0, sampled: 10, delivered: 10, dropped: 0 });
    expect(resets).toEqual([]);
    p.stop();
  });

  it('drops a sampled frame while the previous grab is still running', async () => {
    const video = new FakeVideo();
    let release: (b: ImageBitmap) => void = () => undefined;
    const { p, frames } = pump(video, () => new Promise((resolve) => (release = resolve)));
    p.start();
    video.present(0); // kept, grab starts
    video.present(0.2); // kept, grab still running: dropped
    release(bitmap());
    await tick();
    expect(frames).toHaveLength(1);
    expect(p.stats).toMatchObject({ sampled: 2, delivered: 1, dropped: 1 });
  });

  it('resets on a seek, and discards a grab that lands after it', async () => {
    const video = new FakeVideo();
    let release: (b: ImageBitmap) => void = () => undefined;
    const { p, frames, resets } = pump(video, () => new Promise((resolve) => (release = resolve)));
    p.start();
    video.present(3);
    video.fire('seeking');
    const late = bitmap();
    release(late);
    await tick();
    expect(resets).toEqual(['seek']);
    expect(late.closed).toBe(true);
    expect(frames).toHaveLength(0);
    // The first frame after the seek is kept without a second reset.
    video.present(1.0);
    release(bitmap());
    await tick();
    expect(frames.map((f) => f.timestamp)).toEqual([1.0]);
    expect(resets).toEqual(['seek']);
    expect(p.stats).toMatchObject({ sampled: 2, delivered: 1, dropped: 1 });
  });

  it('a forward seek is one seek: frames from before or during it are not taken for a gap', async () => {
    const video = new FakeVideo();
    const { p, frames, resets } = pump(video);
    p.start();
    video.present(1.0);
    await tick();
    video.seeking = true;
    video.fire('seeking');
    // A callback queued before the jump arrives late with the old time, then one mid-seek.
    video.present(1.2);
    video.present(4.0);
    await tick();
    expect(frames.map((f) => f.timestamp)).toEqual([1.0]);
    video.seeking = false;
    video.fire('seeked');
    video.present(4.0);
    await tick();
    video.present(4.2);
    await tick();
    expect(resets).toEqual(['seek']);
    expect(frames.map((f) => f.timestamp)).toEqual([1.0, 4.0, 4.2]);
    expect(p.stats).toMatchObject({ framesIn: 5, sampled: 3, delivered: 3, dropped: 0 });
  });

  it('a stale pre-seek frame after the seek is forgotten once the seek completes', async () => {
    const video = new FakeVideo();
    const { p, frames, resets } = pump(video);
    p.start();
    video.present(1.0);
    await tick();
    video.fire('seeking');
    video.present(1.2); // old time, delivered after 'seeking' (video.seeking already false)
    await tick();
    video.fire('seeked');
    video.present(4.0); // 2.8 s after the stale frame: without the seeked reset, a 'gap'
    await tick();
    expect(resets).toEqual(['seek']);
    expect(frames.map((f) => f.timestamp)).toEqual([1.0, 1.2, 4.0]);
  });

  it('resets when timestamps jump back or forward without a seek event', async () => {
    const video = new FakeVideo();
    const { p, resets, frames } = pump(video);
    p.start();
    for (const t of [0, 1 / 30, 2 / 30]) {
      video.present(t);
      await tick();
    }
    video.present(0.01);
    await tick();
    video.present(5);
    await tick();
    expect(resets).toEqual(['seek', 'gap']);
    expect(frames.map((f) => f.timestamp)).toEqual([0, 0.01, 5]);
  });

  it('resets on a new source and on a rate change', () => {
    const video = new FakeVideo();
    const { p, resets } = pump(video);
    p.start();
    video.fire('emptied');
    p.sourceChanged();
    p.setTargetFps(8);
    expect(resets).toEqual(['source', 'source', 'source']);
  });

  it('counts frames the browser presented without calling back', async () => {
    const video = new FakeVideo();
    const { p } = pump(video);
    p.start();
    video.present(0, 10);
    video.present(1 / 30, 11);
    video.present(4 / 30, 14); // frames 12 and 13 were never seen
    await tick();
    expect(p.stats).toMatchObject({ framesIn: 3, missed: 2 });
  });

  it('drops frames with no picture yet and failed grabs', async () => {
    const video = new FakeVideo();
    video.videoWidth = 0;
    const { p } = pump(video, () => Promise.reject(new Error('InvalidStateError')));
    p.start();
    video.present(0);
    video.videoWidth = 640;
    video.present(0.2);
    await tick();
    expect(p.stats).toMatchObject({ sampled: 2, delivered: 0, dropped: 2 });
  });

  it('stops: no more callbacks, listeners removed, a late grab closed', async () => {
    const video = new FakeVideo();
    let release: (b: ImageBitmap) => void = () => undefined;
    const { p, frames, resets } = pump(video, () => new Promise((resolve) => (release = resolve)));
    p.start();
    p.start(); // idempotent
    expect(video.waiting).toBe(1);
    video.present(0);
    p.stop();
    expect(p.active).toBe(false);
    expect(video.waiting).toBe(0);
    expect(video.listeners.get('seeking')?.size).toBe(0);
    expect(video.listeners.get('seeked')?.size).toBe(0);
    const late = bitmap();
    release(late);
    await tick();
    expect(late.closed).toBe(true);
    expect(frames).toHaveLength(0);
    video.fire('seeking');
    expect(resets).toEqual([]);
    p.stop(); // idempotent
  });

  it('polls currentTime once per display frame without requestVideoFrameCallback', async () => {
    const video = new FakeVideo();
    const plain: VideoLike = {
      get videoWidth() {
        return video.videoWidth;
      },
      get videoHeight() {
        return video.videoHeight;
      },
      get currentTime() {
        return video.currentTime;
      },
      addEventListener: (t, l) => video.addEventListener(t, l),
      removeEventListener: (t, l) => video.removeEventListener(t, l),
    };
    const queue: (() => void)[] = [];
    const cancelled: number[] = [];
    const frames: PumpedFrame[] = [];
    const p = new FramePump(plain, {
      targetFps: 5,
      outputSize: 64,
      onFrame: (f) => frames.push(f),
      onReset: () => undefined,
      grab: () => Promise.resolve(bitmap()),
      requestFrame: (cb) => queue.push(cb),
      cancelFrame: (h) => cancelled.push(h),
    });
    p.start();
    // Display frames at 60 Hz over a 30 fps video: each video frame is seen twice.
    for (let i = 0; i < 24; i++) {
      video.currentTime = Math.floor(i / 2) / 30;
      (queue.shift() as () => void)();
      await tick();
    }
    expect(frames.map((f) => f.timestamp)).toEqual([0, 6 / 30]);
    expect(p.stats).toMatchObject({ framesIn: 24, sampled: 2 });
    p.stop();
    expect(cancelled).toHaveLength(1);
  });
});
