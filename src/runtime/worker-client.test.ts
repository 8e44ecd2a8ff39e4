import { describe, expect, it } from 'vitest';
import { startBackendWith } from './backend-fallback';
import { InferenceEngine } from './inference-engine';
import {
  message,
  type FrameMessage,
  type PageMessage,
  type ReadyMessage,
  type WorkerMessage,
} from './protocol';
import { buildTinyModel } from './testing-model';
import { InferenceClient, LoadError, type WorkerLike } from './worker-client';

/** A worker that records what it is sent and replies only when told. */
class FakeWorker implements WorkerLike {
  onmessage: ((event: MessageEvent) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  onmessageerror: ((event: MessageEvent) => void) | null = null;
  readonly sent: { msg: PageMessage; transfer: Transferable[] }[] = [];
  terminated = false;
  prevented = false;

  postMessage(msg: unknown, transfer: Transferable[]): void {
    this.sent.push({ msg: msg as PageMessage, transfer });
  }

  terminate(): void {
    this.terminated = true;
  }

  reply(msg: unknown): void {
    this.onmessage?.({ data: msg } as MessageEvent);
  }

  crash(): void {
    this.onerror?.({ preventDefault: () => (this.prevented = true) } as unknown as ErrorEvent);
  }

  types(): string[] {
    return this.sent.map((s) => s.msg.type);
  }
}

function fakeClient(
  options: {
    maxInFlight?: number;
    maxRestarts?: number;
    now?: () => number;
    search?: string | (() => string);
  } = {},
) {
  const workers: FakeWorker[] = [];
  const client = new InferenceClient({
    createWorker: () => {
      const w = new FakeWorker();
      workers.push(w);
      return w;
    },
    search: '?backend=wasm',
    ...options,
  });
  const last = () => workers[workers.length - 1] as FakeWorker;
  return { client, workers, last };
}

const ready = message({
  type: 'ready',
  modelInfo: {
    id: 'tiny',
    displayName: 'Tiny',
    labels: ['a', 'b'],
    input: { height: 4, width: 4, channels: 3 },
    frameRate: 5,
    clipLength: 4,
    twinLength: 4,
    trained: false,
    params: 1,
    description: 'd',
  },
  backend: 'cpu',
  backendReason: 'CPU.',
  backendChoice: {
    backend: 'cpu',
    reason: 'CPU.',
    info: { backend: 'cpu' },
    capabilities: { crossOriginIsolated: false, webgpuApi: false, cores: 1 },
    attempts: [],
    override: null,
  },
  flopsPerStep: { macs: 1, elementwise: 1 },
  flopsPerClip: { macs: 4, elementwise: 4 },
  stateBytes: 0,
  onlineDelay: 3,
}) as ReadyMessage;

const rgba = () => ({ data: new Uint8ClampedArray(4 * 4 * 4), width: 4, height: 4 });
const prediction = (frameId: number) =>
  message({ type: 'prediction', frameId, timestamp: 0, preprocessMs: 0 });

describe('InferenceClient and the page URL', () => {
  it('reads ?backend= at each load, so a picker that rewrites the URL takes effect', () => {
    const page = { search: '?backend=cpu' };
    const { client, last } = fakeClient({ search: () => page.search });
    const sentBackend = () => {
      const msg = last().sent[last().sent.length - 1]?.msg;
      return msg?.type === 'load' ? msg.backend : undefined;
    };
    void client.load({ modelId: 'tiny' }).catch(() => undefined);
    expect(sentBackend()).toEqual({ requested: 'cpu', source: 'url' });
    page.search = '?backend=webgl&model=x';
    void client.load({ modelId: 'tiny' }).catch(() => undefined);
    expect(sentBackend()).toEqual({ requested: 'webgl', source: 'url' });
    page.search = '';
    void client.load({ modelId: 'tiny' }).catch(() => undefined);
    expect(sentBackend()).toBeNull();
    // An argument still wins over the URL.
    page.search = '?backend=cpu';
    void client.load({ modelId: 'tiny', backend: 'wasm' }).catch(() => undefined);
    expect(sentBackend()).toEqual({ requested: 'wasm', source: 'argument' });
    client.dispose();
  });
});

describe('InferenceClient requests', () => {
  it('loads with the page override and resolves with the ready message', async () => {
    const { client, last } = fakeClient();
    const loading = client.load({ modelId: 'tiny' });
    expect(last().sent[0]?.msg).toEqual({
      v: 1,
      type: 'load',
      modelId: 'tiny',
      variant: null,
      backend: { requested: 'wasm', source: 'url' },
      weightsBaseUrl: null,
    });
    last().reply(ready);
    await expect(loading).resolves.toBe(ready);

    const again = client.load({
      modelId: 'tiny',
      backend: 'cpu',
      variant: 'v',
      weightsBaseUrl: '/w',
    });
    expect(last().sent[1]?.msg).toMatchObject({
      backend: { requested: 'cpu', source: 'argument' },
      variant: 'v',
      weightsBaseUrl: '/w',
    });
    last().reply(ready);
    await again;
  });

  it('rejects a load on a fatal load error, and a load superseded by a newer one', async () => {
    const { client, last } = fakeClient();
    const first = client.load({ modelId: 'a' });
    const second = client.load({ modelId: 'b' });
    await expect(first).rejects.toMatchObject({ kind: 'superseded' });
    last().reply(
      message({ type: 'error', kind: 'model-load', message: 'No weights.', recoverable: false }),
    );
    await expect(second).rejects.toBeInstanceOf(LoadError);
    await expect(second).rejects.toMatchObject({ kind: 'model-load', message: 'No weights.' });
  });

  it('transfers frame pixels and numbers frames in order', () => {
    const { client, last } = fakeClient();
    const p = rgba();
    expect(client.sendFrame(p, 0.5)).toBe(0);
    expect(client.sendFrame(rgba(), 0.7)).toBe(1);
    const sent = last().sent[0] as { msg: FrameMessage; transfer: Transferable[] };
    expect(sent.msg).toMatchObject({ type: 'frame', frameId: 0, timestamp: 0.5 });
    expect(sent.transfer).toEqual([p.data.buffer]);
  });

  it('holds frames back beyond maxInFlight, keeping only the newest', () => {
    const { client, last } = fakeClient({ maxInFlight: 2 });
    for (let i = 0; i < 5; i++) client.sendFrame(rgba(), i);
    // Frames 0 and 1 went out; 2 and 3 were replaced while held; 4 is held.
    expect(last().sent.map((s) => (s.msg as FrameMessage).frameId)).toEqual([0, 1]);
    expect(client.stats).toEqual({ sent: 2, heldDropped: 2, inFlight: 2, restarts: 0 });
    last().reply(prediction(0));
    expect(last().sent.map((s) => (s.msg as FrameMessage).frameId)).toEqual([0, 1, 4]);
    expect(client.stats.inFlight).toBe(2);
    // A drop report frees room too.
    last().reply(message({ type: 'dropped', count: 2, total: 2, reason: 'busy' }));
    expect(client.stats.inFlight).toBe(0);
    client.sendFrame(rgba(), 5);
    expect(client.stats).toEqual({ sent: 4, heldDropped: 2, inFlight: 1, restarts: 0 });
  });

  it('sends mode changes and resets; a reset discards a held frame', () => {
    const { client, last } = fakeClient({ maxInFlight: 1 });
    client.setMode('both');
    client.sendFrame(rgba(), 0);
    client.sendFrame(rgba(), 1); // held
    client.reset('seek');
    expect(last().types()).toEqual(['setMode', 'frame', 'reset']);
    expect(last().sent[2]?.msg).toEqual({ v: 1, type: 'reset', reason: 'seek' });
    expect(client.stats.heldDropped).toBe(1);
    last().reply(prediction(0));
    expect(last().types()).toEqual(['setMode', 'frame', 'reset']);
  });

  it('rejects a maxInFlight below 1', () => {
    expect(() => fakeClient({ maxInFlight: 0 })).toThrow(/maxInFlight/);
  });
});

describe('InferenceClient events', () => {
  it('delivers typed events to subscribers until they unsubscribe', () => {
    const { client, last } = fakeClient();
    const seen: number[] = [];
    const off = client.on('prediction', (p) => seen.push(p.frameId));
    const progress: number[] = [];
    client.on('progress', (p) => progress.push(p.loaded));
    last().reply(prediction(3));
    last().reply(message({ type: 'progress', phase: 'weights', loaded: 7, total: 10 }));
    off();
    last().reply(prediction(4));
    expect(seen).toEqual([3]);
    expect(progress).toEqual([7]);
  });

  it('reports malformed worker messages as protocol errors and ignores them', () => {
    const { client, last } = fakeClient();
    const errors: string[] = [];
    client.on('error', (e) => errors.push(`${e.kind}:${e.recoverable}`));
    let predictions = 0;
    client.on('prediction', () => predictions++);
    last().reply({ v: 1, type: 'prediction', frameId: -1 });
    last().reply({ v: 2, type: 'ready' });
    last().onmessageerror?.({} as MessageEvent);
    expect(errors).toEqual(['protocol:true', 'protocol:true', 'protocol:true']);
    expect(predictions).toBe(0);
  });

  it('keeps delivering when one listener throws', () => {
    const { client, last } = fakeClient();
    const original = console.error;
    console.error = () => undefined;
    let reached = false;
    client.on('prediction', () => {
      throw new Error('listener bug');
    });
    client.on('prediction', () => (reached = true));
    last().reply(prediction(0));
    console.error = original;
    expect(reached).toBe(true);
  });
});

describe('InferenceClient crash recovery', () => {
  it('restarts a crashed worker with the same model and mode, and says so', async () => {
    const { client, workers, last } = fakeClient();
    const errors: WorkerMessage[] = [];
    client.on('error', (e) => errors.push(e));
    const loading = client.load({ modelId: 'tiny' });
    client.setMode('offline');
    client.sendFrame(rgba(), 0);
    workers[0]?.crash();
    expect(workers).toHaveLength(2);
    expect(workers[0]?.terminated).toBe(true);
    expect(workers[0]?.prevented).toBe(true);
    expect(workers[0]?.onmessage).toBeNull();
    expect(last().types()).toEqual(['load', 'setMode']);
    expect(last().sent[0]?.msg).toEqual(workers[0]?.sent[0]?.msg);
    expect(last().sent[1]?.msg).toMatchObject({ mode: 'offline' });
    expect(errors).toEqual([expect.objectContaining({ kind: 'worker-crash', recoverable: true })]);
    expect(client.stats).toMatchObject({ restarts: 1, inFlight: 0 });
    // The pending load resolves with the new worker's ready; the old worker is no longer heard.
    workers[0]?.reply(prediction(0));
    last().reply(ready);
    await expect(loading).resolves.toBe(ready);
    expect(client.alive).toBe(true);
  });

  it('gives up after maxRestarts crashes within the window', async () => {
    let now = 0;
    const { client, workers } = fakeClient({ maxRestarts: 2, now: () => now });
    const errors: WorkerMessage[] = [];
    client.on('error', (e) => errors.push(e));
    const loading = client.load({ modelId: 'tiny' });
    workers[0]?.crash();
    now = 1000;
    workers[1]?.crash();
    now = 2000;
    workers[2]?.crash();
    expect(workers).toHaveLength(3);
    expect(client.alive).toBe(false);
    expect(errors.map((e) => e.type === 'error' && e.recoverable)).toEqual([true, true, false]);
    await expect(loading).rejects.toMatchObject({ kind: 'worker-crash' });
    // Frames after giving up go nowhere.
    client.sendFrame(rgba(), 0);
    expect(client.stats.sent).toBe(0);
  });

  it('keeps restarting when crashes are further apart than the window', () => {
    let now = 0;
    const { client, workers } = fakeClient({ maxRestarts: 1, now: () => now });
    for (let i = 0; i < 4; i++) {
      workers[i]?.crash();
      now += 61_000;
    }
    expect(workers).toHaveLength(5);
    expect(client.stats.restarts).toBe(4);
  });

  it('disposes: posts dispose, terminates and rejects a pending load', async () => {
    const { client, workers } = fakeClient();
    const loading = client.load({ modelId: 'tiny' });
    client.dispose();
    expect(workers[0]?.types()).toEqual(['load', 'dispose']);
    expect(workers[0]?.terminated).toBe(true);
    await expect(loading).rejects.toMatchObject({ kind: 'disposed' });
    await expect(client.load({ modelId: 'tiny' })).rejects.toMatchObject({ kind: 'disposed' });
    expect(client.alive).toBe(false);
  });
});

describe('InferenceClient with the real engine', () => {
  /** A worker that runs an InferenceEngine in this thread, messages crossing asynchronously. */
  class EngineWorker extends FakeWorker {
    readonly engine = new InferenceEngine({
      createModel: () => Promise.resolve(buildTinyModel()),
      startBackend: (r) =>
        startBackendWith(
          {
            webgpu: () => Promise.resolve({ ok: false, error: 'none' }),
            wasm: () => Promise.resolve({ ok: false, error: 'none' }),
            webgl: () => Promise.resolve({ ok: false, error: 'none' }),
            cpu: () => Promise.resolve({ ok: true, info: { backend: 'cpu' } }),
          },
          { crossOriginIsolated: false, webgpuApi: false, cores: 1 },
          r,
        ),
      post: (msg) => setTimeout(() => this.reply(msg), 0),
    });

    override postMessage(msg: unknown, transfer: Transferable[]): void {
      super.postMessage(msg, transfer);
      setTimeout(() => void this.engine.handle(msg), 0);
    }

    override terminate(): void {
      super.terminate();
      this.engine.dispose();
    }
  }

  it('loads, streams frames to predictions, and recovers from a crash', async () => {
    const workers: EngineWorker[] = [];
    const client = new InferenceClient({
      createWorker: () => {
        const w = new EngineWorker();
        workers.push(w);
        return w;
      },
      search: '',
    });
    const r = await client.load({ modelId: 'tiny' });
    expect(r.backend).toBe('cpu');
    const ids: number[] = [];
    client.on('prediction', (p) => ids.push(p.frameId));
    const until = (n: number) =>
      new Promise<void>((resolve) => {
        const check = () => (ids.length >= n ? resolve() : setTimeout(check, 2));
        check();
      });
    for (let i = 0; i < 4; i++) {
      client.sendFrame(rgba(), i / 5);
      await until(i + 1);
    }
    expect(ids).toEqual([0, 1, 2, 3]);

    const readyAgain = new Promise<void>((resolve) => client.on('ready', () => resolve()));
    workers[0]?.crash();
    await readyAgain;
    client.sendFrame(rgba(), 1);
    await until(5);
    expect(ids).toEqual([0, 1, 2, 3, 4]);
    expect(client.stats.restarts).toBe(1);
    client.dispose();
  });
});

// The real module worker, bundled by Vite: skipped in Node, which has no Web Worker.
describe.skipIf(typeof Worker === 'undefined')('InferenceClient with the real worker', () => {
  it('boots, starts a backend inside the worker and reports an unknown model', async () => {
    const client = new InferenceClient({ search: '' });
    const errors: WorkerMessage[] = [];
    client.on('error', (e) => errors.push(e));
    await expect(client.load({ modelId: 'no-such-model' })).rejects.toMatchObject({
      kind: 'model-load',
      message: expect.stringContaining('"no-such-model"'),
    });
    expect(errors).toEqual([expect.objectContaining({ kind: 'model-load', recoverable: false })]);
    expect(client.alive).toBe(true);
    client.dispose();
  });
});
