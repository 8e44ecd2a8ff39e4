import { describe, expect, it } from 'vitest';
import type { BackendInfo, BackendName, BackendProbes, Capabilities } from './backend';
import { FAILED_WHILE_RUNNING, excludeBackends, startBackendWith } from './backend-fallback';

const caps: Capabilities = { crossOriginIsolated: true, webgpuApi: true, cores: 4 };
const infos: Record<BackendName, BackendInfo> = {
  webgpu: { backend: 'webgpu', adapter: 'test adapter', software: false },
  wasm: { backend: 'wasm', simd: true, multithread: true, threads: 2 },
  webgl: { backend: 'webgl', version: 2 },
  cpu: { backend: 'cpu' },
};

/** Probes that all succeed, recording which ran. */
function probes() {
  const ran: BackendName[] = [];
  const make = (b: BackendName) => () => {
    ran.push(b);
    return Promise.resolve({ ok: true as const, info: infos[b] });
  };
  const all: BackendProbes = {
    webgpu: make('webgpu'),
    wasm: make('wasm'),
    webgl: make('webgl'),
    cpu: make('cpu'),
  };
  return { all, ran };
}

describe('excludeBackends', () => {
  it('replaces exactly the excluded probes with failures', async () => {
    const { all, ran } = probes();
    const p = excludeBackends(all, ['webgpu', 'webgl']);
    expect(await p.webgpu()).toEqual({ ok: false, error: FAILED_WHILE_RUNNING });
    expect(await p.webgl()).toEqual({ ok: false, error: FAILED_WHILE_RUNNING });
    expect((await p.wasm()).ok).toBe(true);
    expect((await p.cpu()).ok).toBe(true);
    expect(ran).toEqual(['wasm', 'cpu']);
    expect(excludeBackends(all, [])).toEqual(all);
  });
});

describe('startBackendWith', () => {
  it('picks the next backend in priority order and says why', async () => {
    const { all, ran } = probes();
    const choice = await startBackendWith(all, caps, { override: null, exclude: ['webgpu'] });
    expect(choice.backend).toBe('wasm');
    expect(ran).toEqual(['wasm']);
    expect(choice.reason).toContain(
      `WebGPU is not available in this browser (${FAILED_WHILE_RUNNING})`,
    );
    const next = await startBackendWith(all, caps, { override: null, exclude: ['webgpu', 'wasm'] });
    expect(next.backend).toBe('webgl');
  });

  it('keeps an override that is still usable, drops one naming a failed backend', async () => {
    const { all } = probes();
    const kept = await startBackendWith(all, caps, {
      override: { requested: 'cpu', source: 'url' },
      exclude: ['webgpu'],
    });
    expect(kept.backend).toBe('cpu');
    expect(kept.override).toEqual({ requested: 'cpu', source: 'url', honoured: true });
    const dropped = await startBackendWith(all, caps, {
      override: { requested: ' WebGPU ', source: 'argument' },
      exclude: ['webgpu'],
    });
    expect(dropped.backend).toBe('wasm');
    expect(dropped.override).toBeNull();
  });

  it('fails when everything is excluded', async () => {
    const { all } = probes();
    await expect(
      startBackendWith(all, caps, { override: null, exclude: ['webgpu', 'wasm', 'webgl', 'cpu'] }),
    ).rejects.toThrow(/No TF.js backend could start/);
  });
});
