import { describe, expect, it } from 'vitest';
import {
  BACKEND_PRIORITY,
  BackendUnavailableError,
  chooseBackend,
  describeBackend,
  parseBackendName,
  resolveOverride,
  type BackendInfo,
  type BackendName,
  type BackendProbes,
  type Capabilities,
  type ProbeOutcome,
} from './backend';

// The decision logic over injected probes: no browser, no TF.js, so these run the same everywhere.

const isolated: Capabilities = { crossOriginIsolated: true, webgpuApi: true, cores: 4 };

const okInfo: Record<BackendName, BackendInfo> = {
  webgpu: { backend: 'webgpu', adapter: 'google swiftshader', software: true },
  wasm: { backend: 'wasm', simd: true, multithread: true, threads: 2 },
  webgl: { backend: 'webgl', version: 2 },
  cpu: { backend: 'cpu' },
};

/** Probes that succeed unless given an error (or a thunk), recording the order they ran in. */
function fakeProbes(
  failures: Partial<Record<BackendName, string | (() => Promise<ProbeOutcome>)>>,
) {
  const calls: BackendName[] = [];
  const make = (b: BackendName) => (): Promise<ProbeOutcome> => {
    calls.push(b);
    const f = failures[b];
    if (typeof f === 'function') return f();
    return Promise.resolve(
      f === undefined ? { ok: true, info: okInfo[b] } : { ok: false, error: f },
    );
  };
  const probes: BackendProbes = {
    webgpu: make('webgpu'),
    wasm: make('wasm'),
    webgl: make('webgl'),
    cpu: make('cpu'),
  };
  return { probes, calls };
}

/** A clock that advances 5 ms per reading, so every attempt takes exactly 5 ms. */
function steppingClock(): () => number {
  let t = 100;
  return () => (t += 5);
}

describe('parseBackendName', () => {
  it('accepts the four names, ignoring case and surrounding spaces', () => {
    expect(parseBackendName('webgpu')).toBe('webgpu');
    expect(parseBackendName(' WASM ')).toBe('wasm');
    expect(parseBackendName('WebGL')).toBe('webgl');
    expect(parseBackendName('cpu')).toBe('cpu');
  });
  it('rejects anything else', () => {
    expect(parseBackendName('')).toBeNull();
    expect(parseBackendName('metal')).toBeNull();
    expect(parseBackendName('web gpu')).toBeNull();
  });
  it('keeps the preference order webgpu > wasm > webgl > cpu', () => {
    expect(BACKEND_PRIORITY).toEqual(['webgpu', 'wasm', 'webgl', 'cpu']);
  });
});

describe('resolveOverride', () => {
  it('reads ?backend= from a query string, with or without the "?"', () => {
    expect(resolveOverride(null, '?backend=wasm')).toEqual({ requested: 'wasm', source: 'url' });
    expect(resolveOverride(undefined, 'x=1&backend=cpu')).toEqual({
      requested: 'cpu',
      source: 'url',
    });
  });
  it('lets the argument win over the URL', () => {
    expect(resolveOverride('webgl', '?backend=wasm')).toEqual({
      requested: 'webgl',
      source: 'argument',
    });
  });
  it('treats missing and blank values as no override', () => {
    expect(resolveOverride(null, '')).toBeNull();
    expect(resolveOverride(undefined, undefined)).toBeNull();
    expect(resolveOverride('  ', '?backend=')).toBeNull();
    expect(resolveOverride('', '?other=wasm')).toBeNull();
  });
  it('passes an invalid name through, for chooseBackend to explain', () => {
    expect(resolveOverride(null, '?backend=metal')).toEqual({ requested: 'metal', source: 'url' });
  });
});

describe('describeBackend', () => {
  it('names the WebGPU adapter and flags a software one', () => {
    expect(describeBackend(okInfo.webgpu, isolated)).toBe(
      'WebGPU on google swiftshader (a software adapter: correct but slow)',
    );
    const hw: BackendInfo = { backend: 'webgpu', adapter: 'nvidia ampere', software: false };
    expect(describeBackend(hw, isolated)).toBe('WebGPU on nvidia ampere');
  });
  it('gives WASM SIMD and thread count', () => {
    expect(describeBackend(okInfo.wasm, isolated)).toBe('WASM with SIMD and 2 threads');
    const one: BackendInfo = { backend: 'wasm', simd: true, multithread: true, threads: 1 };
    expect(describeBackend(one, { ...isolated, cores: 2 })).toBe(
      'WASM with SIMD and threads, on 1 thread (TF.js uses half of the 2 logical cores)',
    );
  });
  it('says why WASM runs single-threaded', () => {
    const single: BackendInfo = { backend: 'wasm', simd: true, multithread: false, threads: 1 };
    expect(describeBackend(single, { ...isolated, crossOriginIsolated: false })).toBe(
      'WASM with SIMD, single-threaded (the page is not cross-origin isolated)',
    );
    expect(describeBackend(single, isolated)).toBe(
      'WASM with SIMD, single-threaded (this browser has no WASM threads)',
    );
    const noSimd: BackendInfo = { backend: 'wasm', simd: false, multithread: false, threads: 1 };
    expect(describeBackend(noSimd, isolated)).toBe(
      'WASM without SIMD, single-threaded (threads need SIMD)',
    );
  });
  it('describes WebGL and CPU', () => {
    expect(describeBackend(okInfo.webgl, isolated)).toBe('WebGL 2');
    expect(describeBackend(okInfo.cpu, isolated)).toBe('the plain JavaScript CPU backend (slow)');
  });
});

describe('chooseBackend', () => {
  it('takes WebGPU when it works and probes nothing else', async () => {
    const { probes, calls } = fakeProbes({});
    const choice = await chooseBackend(probes, { capabilities: isolated, now: steppingClock() });
    expect(calls).toEqual(['webgpu']);
    expect(choice.backend).toBe('webgpu');
    expect(choice.info).toBe(okInfo.webgpu);
    expect(choice.capabilities).toBe(isolated);
    expect(choice.override).toBeNull();
    expect(choice.attempts).toEqual([{ backend: 'webgpu', ok: true, ms: 5 }]);
    expect(choice.reason).toBe(
      'Running on WebGPU on google swiftshader (a software adapter: correct but slow), the preferred backend.',
    );
  });

  it('falls back to WASM and says why WebGPU is out', async () => {
    const { probes, calls } = fakeProbes({ webgpu: 'navigator.gpu missing' });
    const choice = await chooseBackend(probes, { capabilities: isolated, now: steppingClock() });
    expect(calls).toEqual(['webgpu', 'wasm']);
    expect(choice.backend).toBe('wasm');
    expect(choice.attempts).toEqual([
      { backend: 'webgpu', ok: false, error: 'navigator.gpu missing', ms: 5 },
      { backend: 'wasm', ok: true, ms: 5 },
    ]);
    expect(choice.reason).toBe(
      'WebGPU is not available in this browser (navigator.gpu missing); running on WASM with SIMD and 2 threads.',
    );
  });

  it('lists every failure before the winner, in order', async () => {
    const { probes, calls } = fakeProbes({
      webgpu: 'no adapter',
      wasm: 'no WebAssembly',
      webgl: 'no context',
    });
    const choice = await chooseBackend(probes, { capabilities: isolated });
    expect(calls).toEqual(['webgpu', 'wasm', 'webgl', 'cpu']);
    expect(choice.backend).toBe('cpu');
    expect(choice.attempts.map((a) => [a.backend, a.ok])).toEqual([
      ['webgpu', false],
      ['wasm', false],
      ['webgl', false],
      ['cpu', true],
    ]);
    expect(choice.reason).toBe(
      'WebGPU is not available in this browser (no adapter); WASM is not available in this browser ' +
        '(no WebAssembly); WebGL is not available in this browser (no context); running on the plain ' +
        'JavaScript CPU backend (slow).',
    );
  });

  it('honours an override from the URL without probing the others', async () => {
    const { probes, calls } = fakeProbes({});
    const choice = await chooseBackend(probes, {
      capabilities: isolated,
      override: { requested: 'wasm', source: 'url' },
    });
    expect(calls).toEqual(['wasm']);
    expect(choice.backend).toBe('wasm');
    expect(choice.override).toEqual({ requested: 'wasm', source: 'url', honoured: true });
    expect(choice.reason).toBe(
      'Running on WASM with SIMD and 2 threads, as requested by ?backend=wasm.',
    );
  });

  it('honours an override from the caller, even the slowest backend', async () => {
    const { probes, calls } = fakeProbes({});
    const choice = await chooseBackend(probes, {
      capabilities: isolated,
      override: { requested: 'CPU', source: 'argument' },
    });
    expect(calls).toEqual(['cpu']);
    expect(choice.override?.honoured).toBe(true);
    expect(choice.reason).toBe(
      'Running on the plain JavaScript CPU backend (slow), as requested by the caller.',
    );
  });

  it('explains an override it cannot honour and falls back in the usual order', async () => {
    const { probes, calls } = fakeProbes({ webgl: 'no context' });
    const choice = await chooseBackend(probes, {
      capabilities: isolated,
      override: { requested: 'webgl', source: 'url' },
    });
    // webgl first, then the default order without trying webgl twice.
    expect(calls).toEqual(['webgl', 'webgpu']);
    expect(choice.backend).toBe('webgpu');
    expect(choice.override).toEqual({ requested: 'webgl', source: 'url', honoured: false });
    expect(choice.reason).toBe(
      'WebGL was requested by ?backend=webgl but is not available (no context); running on ' +
        'WebGPU on google swiftshader (a software adapter: correct but slow) instead.',
    );
  });

  it('explains a failed override followed by further failures', async () => {
    const { probes } = fakeProbes({ webgpu: 'navigator.gpu missing' });
    const choice = await chooseBackend(probes, {
      capabilities: isolated,
      override: { requested: 'webgpu', source: 'argument' },
    });
    expect(choice.backend).toBe('wasm');
    expect(choice.reason).toBe(
      'WebGPU was requested by the caller but is not available (navigator.gpu missing); ' +
        'running on WASM with SIMD and 2 threads instead.',
    );
  });

  it('explains an unknown override and uses the default order', async () => {
    const { probes, calls } = fakeProbes({ webgpu: 'no adapter' });
    const choice = await chooseBackend(probes, {
      capabilities: isolated,
      override: { requested: 'metal', source: 'url' },
    });
    expect(calls).toEqual(['webgpu', 'wasm']);
    expect(choice.override).toEqual({ requested: 'metal', source: 'url', honoured: false });
    expect(choice.reason).toBe(
      '"metal" (from ?backend=metal) is not a backend; expected one of webgpu, wasm, webgl, cpu. ' +
        'WebGPU is not available in this browser (no adapter); running on WASM with SIMD and 2 ' +
        'threads instead.',
    );
  });

  it('explains an unknown override even when the preferred backend works', async () => {
    const { probes } = fakeProbes({});
    const choice = await chooseBackend(probes, {
      capabilities: isolated,
      override: { requested: 'gpu', source: 'argument' },
    });
    expect(choice.backend).toBe('webgpu');
    expect(choice.reason).toMatch(
      /^"gpu" \(from the caller\) is not a backend; expected one of webgpu, wasm, webgl, cpu\. Running on WebGPU .*, the preferred backend\.$/,
    );
  });

  it('counts a thrown probe as a failure and keeps going', async () => {
    const { probes } = fakeProbes({ webgpu: () => Promise.reject(new Error('device lost')) });
    const choice = await chooseBackend(probes, { capabilities: isolated });
    expect(choice.backend).toBe('wasm');
    expect(choice.attempts[0]).toMatchObject({
      backend: 'webgpu',
      ok: false,
      error: 'device lost',
    });
  });

  it('gives up on a probe that never answers', async () => {
    const never = () => new Promise<ProbeOutcome>(() => {});
    const { probes } = fakeProbes({ wasm: never, webgpu: 'no adapter' });
    const choice = await chooseBackend(probes, { capabilities: isolated, timeoutMs: 20 });
    expect(choice.backend).toBe('webgl');
    expect(choice.attempts[1]).toMatchObject({
      backend: 'wasm',
      ok: false,
      error: 'no answer after 0.02 s',
    });
  });

  it('throws BackendUnavailableError with every attempt when nothing starts', async () => {
    const { probes } = fakeProbes({ webgpu: 'a', wasm: 'b', webgl: 'c', cpu: 'd' });
    const error = await chooseBackend(probes, { capabilities: isolated }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    const e = error as BackendUnavailableError;
    expect(e.name).toBe('BackendUnavailableError');
    expect(e.attempts.map((a) => a.error)).toEqual(['a', 'b', 'c', 'd']);
    expect(e.message).toBe(
      'No TF.js backend could start (WebGPU: a; WASM: b; WebGL: c; CPU: d). ' +
        'Try a recent Chrome, Edge or Firefox.',
    );
  });

  it('rejects a probe that reports another backend', async () => {
    const { probes } = fakeProbes({
      webgpu: () => Promise.resolve({ ok: true, info: okInfo.cpu }),
    });
    await expect(chooseBackend(probes, { capabilities: isolated })).rejects.toThrow(
      'The webgpu probe reported info for cpu.',
    );
  });
});
