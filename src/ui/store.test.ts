import { afterEach, describe, expect, it } from 'vitest';
import type { BackendChoice } from '../runtime/backend';
import { appStore, resetAppStore, setAppError, setBackendChoice } from './store';

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

afterEach(resetAppStore);

describe('app store', () => {
  it('starts with no backend, status "starting"', () => {
    expect(appStore.getState()).toEqual({
      backend: null,
      reason: '',
      info: null,
      attempts: [],
      status: 'starting',
      error: null,
    });
  });

  it('records a backend choice and becomes ready', () => {
    setBackendChoice(choice);
    const s = appStore.getState();
    expect(s.status).toBe('ready');
    expect(s.backend).toBe('wasm');
    expect(s.reason).toBe(choice.reason);
    expect(s.info).toEqual(choice.info);
    expect(s.attempts).toHaveLength(2);
    expect(s.error).toBeNull();
  });

  it('records an error message from an Error or any other value', () => {
    setAppError(new Error('No TF.js backend could start'));
    expect(appStore.getState()).toMatchObject({
      status: 'error',
      error: 'No TF.js backend could start',
    });
    setAppError('plain text');
    expect(appStore.getState().error).toBe('plain text');
  });

  it('clears an earlier error once a backend is chosen', () => {
    setAppError(new Error('first try failed'));
    setBackendChoice(choice);
    expect(appStore.getState()).toMatchObject({ status: 'ready', error: null });
  });

  it('notifies subscribers once per change', () => {
    const seen: string[] = [];
    const unsubscribe = appStore.subscribe((s) => seen.push(s.status));
    setBackendChoice(choice);
    setAppError('x');
    unsubscribe();
    setBackendChoice(choice);
    expect(seen).toEqual(['ready', 'error']);
  });
});
