import { afterEach, describe, expect, it } from 'vitest';
import type { BackendChoice } from '../runtime/backend';
import { message, type ReadyMessage } from '../runtime/protocol';
import {
  appStore,
  choicesFromSearch,
  clearNotice,
  dismissError,
  liveFeed,
  resetAppStore,
  resolutionRequest,
  selectCamera,
  selectResolution,
  setBackendChoice,
  setBackendRequest,
  setCameras,
  setError,
  setFatalError,
  setLoadProgress,
  setMode,
  setModelReady,
  setPlaybackRate,
  setRunning,
  setSource,
  showNotice,
  startLoading,
} from './store';

const choice: BackendChoice = {
  backend: 'wasm',
  reason: 'WebGPU is not available in this browser (navigator.gpu missing); running on WASM.',
  info: { backend: 'wasm', simd: true, multithread: true, threads: 2 },
  capabilities: { crossOriginIsolated: true, webgpuApi: false, cores: 4 },
  attempts: [
    { backend: 'webgpu', ok: false, error: 'navigator.gpu missing', ms: 1 },
    { backend: 'wasm', ok: true, ms: 40 },
  ],
  override: null,
};

function ready(id = 'movinet-a0-stream'): ReadyMessage {
  return message({
    type: 'ready',
    modelInfo: {
      id,
      displayName: 'Tiny',
      labels: ['a', 'b'],
      input: { height: 8, width: 8, channels: 3 },
      frameRate: 5,
      clipLength: 4,
      twinLength: 4,
      trained: false,
      params: 10,
      description: 'A test model.',
    },
    backend: 'wasm',
    backendReason: choice.reason,
    backendChoice: choice,
    flopsPerStep: { macs: 100, elementwise: 10 },
    flopsPerClip: { macs: 400, elementwise: 40 },
    stateBytes: 2048,
    onlineDelay: 2,
  });
}

afterEach(resetAppStore);

describe('app store: loading and the model', () => {
  it('starts loading, with no backend and the dense variant', () => {
    const s = appStore.getState();
    expect(s.status).toBe('loading');
    expect(s.loading).toEqual({ phase: 'backend' });
    expect(s.backend).toBeNull();
    expect(s.model).toBeNull();
    expect(s.variant).toBe('dense');
    expect(s.mode).toBe('online');
    expect(s.source).toEqual({ kind: 'none' });
    expect(s.error).toBeNull();
    expect(s.notice).toBeNull();
  });

  it('follows load progress only while loading', () => {
    startLoading('movinet-a0-stream');
    setLoadProgress('weights', 500, 2000);
    expect(appStore.getState().loading).toEqual({ phase: 'weights', loaded: 500, total: 2000 });
    setModelReady(ready());
    setLoadProgress('warmup', 1, 2);
    expect(appStore.getState().loading).toBeNull();
  });

  it('records the ready model, its costs and the backend choice', () => {
    startLoading('movinet-a0-stream');
    setModelReady(ready());
    const s = appStore.getState();
    expect(s.status).toBe('ready');
    expect(s.backend).toBe('wasm');
    expect(s.reason).toBe(choice.reason);
    expect(s.info).toEqual(choice.info);
    expect(s.attempts).toHaveLength(2);
    expect(s.model?.flopsPerStep).toEqual({ macs: 100, elementwise: 10 });
    expect(s.model?.flopsPerClip).toEqual({ macs: 400, elementwise: 40 });
    expect(s.model?.stateBytes).toBe(2048);
    expect(s.model?.onlineDelay).toBe(2);
    expect(s.model?.info.labels).toEqual(['a', 'b']);
  });

  it('a new load drops the model, the per-frame data and a model error, not a camera error', () => {
    setModelReady(ready());
    liveFeed.frameSent(0, 0);
    setFatalError('model', new Error('weights missing'));
    startLoading('cox3d-xs');
    let s = appStore.getState();
    expect(s).toMatchObject({ status: 'loading', modelId: 'cox3d-xs', model: null, error: null });
    expect(liveFeed.counts.sent).toBe(0);
    setError('camera', 'Camera access was denied.');
    startLoading('cox3d-s');
    s = appStore.getState();
    expect(s.error).toEqual({ origin: 'camera', text: 'Camera access was denied.' });
  });

  it('backend choices after a fallback replace the old one', () => {
    setModelReady(ready());
    setBackendChoice({ ...choice, backend: 'cpu', reason: 'fell back', info: { backend: 'cpu' } });
    expect(appStore.getState()).toMatchObject({ backend: 'cpu', reason: 'fell back' });
  });
});

describe('app store: status', () => {
  it('goes running and back to ready, never out of loading or error', () => {
    setRunning(true);
    expect(appStore.getState().status).toBe('loading');
    setModelReady(ready());
    setRunning(true);
    expect(appStore.getState().status).toBe('running');
    setRunning(false);
    expect(appStore.getState().status).toBe('ready');
    setFatalError('worker', 'The inference worker crashed repeatedly.');
    setRunning(true);
    expect(appStore.getState().status).toBe('error');
  });

  it('does not notify subscribers when the status is unchanged', () => {
    setModelReady(ready());
    let calls = 0;
    const off = appStore.subscribe(() => calls++);
    setRunning(true);
    setRunning(true);
    setRunning(true);
    off();
    expect(calls).toBe(1);
  });

  it('a fatal error stops loading; a source error leaves the status alone', () => {
    setFatalError('backend', new Error('No TF.js backend could start'));
    expect(appStore.getState()).toMatchObject({
      status: 'error',
      loading: null,
      error: { origin: 'backend', text: 'No TF.js backend could start' },
    });
    resetAppStore();
    setModelReady(ready());
    setError('file', new Error('cannot be decoded'));
    expect(appStore.getState()).toMatchObject({
      status: 'ready',
      error: { origin: 'file', text: 'cannot be decoded' },
    });
    dismissError();
    expect(appStore.getState().error).toBeNull();
  });
});

describe('app store: choices', () => {
  it('switching mode clears the answers of the mode no longer computed', () => {
    const outcome = { kind: 'scores' as const, top5: [{ index: 1, prob: 1 }], latencyMs: 1 };
    liveFeed.prediction(
      message({
        type: 'prediction',
        frameId: 0,
        timestamp: 0,
        preprocessMs: 1,
        online: outcome,
        offline: outcome,
      }),
      0,
    );
    setMode('online');
    expect(liveFeed.offline.top5).toBeNull();
    expect(liveFeed.online.top5).not.toBeNull();
    setMode('offline');
    expect(liveFeed.online.top5).toBeNull();
    setMode('both');
    expect(appStore.getState().mode).toBe('both');
  });

  it('keeps the asked-for backend apart from the one running (a fallback does not change it)', () => {
    expect(appStore.getState().backendRequest).toBe('auto');
    setBackendRequest('webgpu');
    setBackendChoice(choice);
    expect(appStore.getState().backendRequest).toBe('webgpu');
    expect(appStore.getState().backend).toBe('wasm');
    setBackendRequest('auto');
    expect(appStore.getState().backendRequest).toBe('auto');
  });

  it('keeps a picked camera only while it is listed', () => {
    setCameras([{ deviceId: 'x', label: 'Front' }]);
    selectCamera('x');
    setCameras([
      { deviceId: 'x', label: 'Front' },
      { deviceId: 'y', label: 'Back' },
    ]);
    expect(appStore.getState().cameraId).toBe('x');
    setCameras([{ deviceId: 'y', label: 'Back' }]);
    expect(appStore.getState().cameraId).toBe('');
  });

  it('maps resolutions to camera requests and refuses unknown ones', () => {
    selectResolution('640x480');
    expect(appStore.getState().resolution).toBe('640x480');
    expect(resolutionRequest('640x480')).toEqual({ width: 640, height: 480 });
    expect(resolutionRequest('1280x720')).toEqual({ width: 1280, height: 720 });
    expect(resolutionRequest('auto')).toEqual({});
    expect(() => selectResolution('8k')).toThrow(/Unknown resolution "8k"/);
  });

  it('records the source and the playback rate, refusing a bad rate', () => {
    setSource({
      kind: 'file',
      phase: 'open',
      name: 'a.mp4',
      duration: 10,
      width: 340,
      height: 256,
    });
    expect(appStore.getState().source).toMatchObject({ kind: 'file', name: 'a.mp4' });
    setPlaybackRate(0.5);
    expect(appStore.getState().playbackRate).toBe(0.5);
    expect(() => setPlaybackRate(0)).toThrow(/positive/);
    expect(() => setPlaybackRate(Number.NaN)).toThrow(/positive/);
  });
});

describe('app store: notices', () => {
  it('shows the newest notice; clearing an older one leaves it', () => {
    const first = showNotice('seek', 'Jumped.');
    const second = showNotice('source', 'Opened.');
    expect(second).toBeGreaterThan(first);
    clearNotice(first);
    expect(appStore.getState().notice).toEqual({ id: second, reason: 'source', text: 'Opened.' });
    clearNotice(second);
    expect(appStore.getState().notice).toBeNull();
  });
});

describe('choicesFromSearch', () => {
  const ids = ['movinet-a0-stream', 'cox3d-xs'];

  it('reads a known model and a valid mode', () => {
    expect(choicesFromSearch('?model=cox3d-xs&mode=both', ids)).toEqual({
      modelId: 'cox3d-xs',
      mode: 'both',
    });
    expect(choicesFromSearch('mode=offline', ids)).toEqual({ mode: 'offline' });
  });

  it('ignores unknown values', () => {
    expect(choicesFromSearch('?model=resnet&mode=fast&backend=wasm', ids)).toEqual({});
    expect(choicesFromSearch('', ids)).toEqual({});
  });
});
