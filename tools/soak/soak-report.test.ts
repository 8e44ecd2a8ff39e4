import { describe, expect, it } from 'vitest';
import { judgeSoak, median, type SoakRun, type SoakSample } from './soak-report';

function samples(tensors: readonly number[], heap: readonly (number | null)[]): SoakSample[] {
  return tensors.map((numTensors, i) => ({
    step: i * 100,
    numTensors,
    heapBytes: heap[i] ?? null,
    backendBytes: 1e6,
  }));
}

const HEALTHY: SoakRun = {
  model: 'cox3d-xs',
  backend: 'wasm',
  steps: 1100,
  warmupSteps: 100,
  stepMs: [...Array.from({ length: 100 }, () => 10), ...Array.from({ length: 900 }, () => 10.5)],
  samples: samples([50, 50, 50], [10e6, 10.2e6, 10.4e6]),
  finalMaxAbsDiff: 2e-6,
  finalScale: 1.5,
  twinLength: 105,
  twinIsExact: true,
  heapMeasuredAfterGc: true,
};

function verdicts(run: SoakRun): Record<string, boolean> {
  return Object.fromEntries(judgeSoak(run).map((c) => [c.name, c.pass]));
}

describe('median', () => {
  it('is the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBe(0);
  });
});

describe('judgeSoak', () => {
  it('passes a healthy run and reports its figures', () => {
    const checks = judgeSoak(HEALTHY);
    expect(checks.map((c) => c.pass)).toEqual([true, true, true, true]);
    expect(checks[0]?.detail).toBe('numTensors constant at 50 over 3 samples');
    expect(checks[1]?.detail).toContain('10.00 MB after warm-up -> 10.40 MB at the end (4.00%');
    expect(checks[2]?.detail).toBe(
      'median step 10.00 ms in the first tenth, 10.50 ms in the last (x1.050)',
    );
    expect(checks[3]?.detail).toContain('1.33e-6 of the logits');
  });

  it('fails a tensor count that moves, even by one', () => {
    expect(verdicts({ ...HEALTHY, samples: samples([50, 51, 50], [1, 1, 1]) }).tensors).toBe(false);
  });

  it('fails heap growth of 5% or more, and an unmeasurable heap', () => {
    expect(verdicts({ ...HEALTHY, samples: samples([1, 1], [10e6, 10.49e6]) }).heap).toBe(true);
    expect(verdicts({ ...HEALTHY, samples: samples([1, 1], [10e6, 10.5e6]) }).heap).toBe(false);
    expect(verdicts({ ...HEALTHY, samples: samples([1, 1], [null, null]) }).heap).toBe(false);
  });

  it('compares the medians of the first and last tenth, not the means', () => {
    const stepMs = Array.from({ length: 100 }, (_, i) => (i < 10 ? 10 : i >= 90 ? 11 : 50));
    expect(verdicts({ ...HEALTHY, stepMs }).latency).toBe(true);
    const slower = stepMs.map((v, i) => (i >= 90 ? 11.2 : v));
    expect(verdicts({ ...HEALTHY, stepMs: slower }).latency).toBe(false);
    // One GC pause in the last tenth does not move the median.
    const paused = stepMs.map((v, i) => (i === 95 ? 500 : v));
    expect(verdicts({ ...HEALTHY, stepMs: paused }).latency).toBe(true);
  });

  it('fails an online output that strays from the twin by more than 1e-4 of the scale', () => {
    expect(verdicts({ ...HEALTHY, finalMaxAbsDiff: 1.4e-4 }).equivalence).toBe(true);
    expect(verdicts({ ...HEALTHY, finalMaxAbsDiff: 1.6e-4 }).equivalence).toBe(false);
    expect(verdicts({ ...HEALTHY, finalScale: 0 }).equivalence).toBe(false);
    // A model whose twin is a bounded window (MoViNet) is reported, not judged.
    const bounded = judgeSoak({ ...HEALTHY, twinIsExact: false, finalMaxAbsDiff: 1 });
    expect(bounded[3]?.pass).toBe(true);
    expect(bounded[3]?.detail).toContain('reported only');
  });

  it('needs samples', () => {
    expect(() => judgeSoak({ ...HEALTHY, samples: [] })).toThrow(/no samples/);
  });
});
