import { beforeAll, describe, expect, it } from 'vitest';
import { parseMovinetConfig, type MovinetSpec } from './movinet-config';
import { loadMovinetConfig } from './testing';

type Json = Record<string, unknown>;

let committed: Json = {};
beforeAll(async () => {
  committed = await loadMovinetConfig();
});

/** A copy of the committed config with one change. */
function edited(edit: (c: Json & { layers: Json[]; head: Json; input: Json; stem: Json }) => void) {
  const copy = structuredClone(committed) as Json & {
    layers: Json[];
    head: Json;
    input: Json;
    stem: Json;
  };
  edit(copy);
  return copy;
}

function at(value: unknown, ...path: (string | number)[]): Json {
  let v = value;
  for (const key of path) v = (v as Record<string | number, unknown>)[key];
  return v as Json;
}

describe('parseMovinetConfig on the committed manifest', () => {
  let spec: MovinetSpec;
  beforeAll(() => {
    spec = parseMovinetConfig(committed);
  });

  it('reads the network: frame, stem, 15 layers, head', () => {
    expect(spec.frameShape).toEqual([172, 172, 3]);
    expect(spec.fps).toBe(5);
    expect(spec.numClasses).toBe(600);
    expect(spec.stem).toMatchObject({
      kernel: [3, 3],
      stride: [2, 2],
      padding: 'SAME',
      activation: 'relu6',
      inChannels: 3,
      outChannels: 8,
      groups: 1,
    });
    expect(spec.layers.map((l) => l.name)).toEqual([
      'b0_l0',
      'b1_l0',
      'b1_l1',
      'b1_l2',
      'b2_l0',
      'b2_l1',
      'b2_l2',
      'b3_l0',
      'b3_l1',
      'b3_l2',
      'b3_l3',
      'b4_l0',
      'b4_l1',
      'b4_l2',
      'b4_l3',
    ]);
    expect(spec.layers.map((l) => l.temporal?.kernel ?? 0)).toEqual([
      0, 3, 3, 3, 5, 3, 3, 5, 3, 3, 3, 5, 0, 0, 0,
    ]);
    // The stride-2 layers (b0_l0, b1_l0, b2_l0, b4_l0) have a pool + conv shortcut.
    expect(spec.layers.flatMap((l, i) => (l.shortcut === null ? [] : [i]))).toEqual([0, 1, 4, 11]);
    expect(spec.layers[12]?.spatial.kernel).toEqual([5, 5]);
    expect(spec.layers[5]).toMatchObject({ inChannels: 56, expandChannels: 112, outChannels: 56 });
    expect(spec.head).toMatchObject({ channels: 480, hiddenChannels: 2048 });
  });

  it('reads the int8 grids of the activations', () => {
    const relu6 = { scale: Math.fround(6 / 255), zeroPoint: -128 };
    expect(spec.inputQuantization).toEqual({ scale: Math.fround(1 / 255), zeroPoint: -128 });
    expect(spec.stem.outputQuantization).toEqual(relu6);
    for (const l of spec.layers) {
      expect(l.expand.outputQuantization).toEqual(relu6);
      expect(l.spatial.outputQuantization).toEqual(relu6);
      // What the builder relies on: the stream buffer holds spatial outputs on their own grid.
      if (l.temporal !== null) expect(l.temporal.bufferQuantization).toEqual(relu6);
    }
    expect(spec.layers[0]?.rezeroQuantization).toEqual({
      scale: 0.5524332523345947,
      zeroPoint: -14,
    });
    expect(spec.layers[0]?.residualQuantization).toEqual({
      scale: 0.6094793677330017,
      zeroPoint: -7,
    });
    expect(spec.layers[1]?.shortcut?.pool.outputQuantization).toEqual(
      spec.layers[0]?.residualQuantization,
    );
    expect(spec.head.pool).toEqual({
      spatialSum: { scale: 0.8470588326454163, zeroPoint: -128 },
      spatialMean: relu6,
      sumState: { scale: 0.5742605328559875, zeroPoint: -128 },
      sum: { scale: 0.5870787501335144, zeroPoint: -128 },
      mean: { scale: 0.021580040454864502, zeroPoint: -128 },
    });
    expect(spec.head.hiddenQuantization).toEqual({ scale: 0.008829854428768158, zeroPoint: -128 });
    expect(spec.head.logitsQuantization).toEqual({ scale: 0.18997600674629211, zeroPoint: -52 });
  });

  it('fills in the defaults of optional op fields', () => {
    const s = parseMovinetConfig(
      edited((c) => {
        delete c.stem['padding'];
        delete c.stem['activation'];
        delete c.stem['groups'];
      }),
    );
    expect(s.stem).toMatchObject({ padding: 'SAME', activation: 'none', groups: 1 });
    const pool = parseMovinetConfig(committed).layers[0]?.shortcut?.pool;
    expect(pool).toMatchObject({ inChannels: 0, outChannels: 0, groups: 1, activation: 'none' });
  });
});

/** An edit that sets the field at `path` (the last key) to `value`. */
function set(path: (string | number)[], value: unknown): (c: Json) => void {
  return (c) => {
    at(c, ...path.slice(0, -1))[path[path.length - 1] as string] = value;
  };
}

/** An edit that deletes the field at `path`. */
function drop(path: (string | number)[]): (c: Json) => void {
  return (c) => {
    delete at(c, ...path.slice(0, -1))[path[path.length - 1] as string];
  };
}

describe('parseMovinetConfig rejects malformed configs', () => {
  it.each([null, [], 'config', 3])('%j instead of an object', (config) => {
    expect(() => parseMovinetConfig(config)).toThrow('MoViNet config: config must be an object.');
  });

  it.each<[string, (c: Json) => void, string]>([
    [
      'a frame shape of two numbers',
      set(['input', 'frameShape'], [172, 172]),
      'config.input.frameShape must be [H, W, C]',
    ],
    ['fps 0', set(['input', 'fps'], 0), 'config.input.fps must be at least 1'],
    [
      'no input grid',
      drop(['input', 'quantization']),
      'config.input.quantization must be an object',
    ],
    ['no layers', set(['layers'], []), 'config.layers must be a non-empty array'],
    ['0 classes', set(['numClasses'], 0), 'config.numClasses must be at least 1'],
    [
      'a layer without a name',
      set(['layers', 1, 'name'], ''),
      'config.layers[1].name must be a non-empty string',
    ],
    [
      'negative channels',
      set(['layers', 0, 'inChannels'], -1),
      'config.layers[0].inChannels must be a non-negative integer',
    ],
    [
      'a temporal kernel of 0',
      set(['layers', 3, 'temporal', 'kernel'], 0),
      'config.layers[3].temporal.kernel must be at least 1',
    ],
    [
      'an unknown temporal activation',
      set(['layers', 3, 'temporal', 'activation'], 'gelu'),
      'config.layers[3].temporal.activation must be relu6 or none',
    ],
    [
      'an unknown padding',
      set(['layers', 0, 'spatial', 'padding'], 'FULL'),
      'config.layers[0].spatial.padding must be SAME or VALID',
    ],
    [
      'an unknown activation',
      set(['layers', 0, 'project', 'activation'], 'tanh'),
      'config.layers[0].project.activation must be relu6 or none',
    ],
    ['a kernel of one number', set(['stem', 'kernel'], [3]), 'config.stem.kernel must be a pair'],
    [
      'a fractional stride',
      set(['stem', 'stride'], [2, 1.5]),
      'config.stem.stride[1] must be a non-negative integer',
    ],
    ['a stride of 0', set(['stem', 'stride'], [0, 2]), 'config.stem.stride[0] must be at least 1'],
    ['no rezero grid', drop(['layers', 2, 'rezero']), 'config.layers[2].rezero must be an object'],
    [
      'no output grid on an op',
      drop(['layers', 2, 'expand', 'outputQuantization']),
      'config.layers[2].expand.outputQuantization must be an object',
    ],
    [
      'no buffer grid',
      drop(['layers', 2, 'temporal', 'bufferQuantization']),
      'config.layers[2].temporal.bufferQuantization must be an object',
    ],
    [
      'a negative scale',
      set(['layers', 2, 'residual', 'outputQuantization', 'scale'], -1),
      'config.layers[2].residual.outputQuantization.scale must be a positive number',
    ],
    [
      'a scale that is not a number',
      set(['head', 'hidden', 'outputQuantization', 'scale'], '0.1'),
      'config.head.hidden.outputQuantization.scale must be a positive number',
    ],
    [
      'an infinite scale',
      set(['stem', 'outputQuantization', 'scale'], Infinity),
      'config.stem.outputQuantization.scale must be a positive number',
    ],
    [
      'a zero point outside int8',
      set(['head', 'pool', 'sumStateQuantization', 'zeroPoint'], 130),
      'config.head.pool.sumStateQuantization.zeroPoint must be an integer in [-128, 127]',
    ],
    [
      'a fractional zero point',
      set(['layers', 1, 'shortcut', 'conv', 'outputQuantization', 'zeroPoint'], 0.5),
      'config.layers[1].shortcut.conv.outputQuantization.zeroPoint must be an integer in',
    ],
    [
      'a shortcut without its conv',
      drop(['layers', 1, 'shortcut', 'conv']),
      'config.layers[1].shortcut.conv must be an object',
    ],
    ['no head', drop(['head']), 'config.head must be an object'],
    [
      'no head logits grid',
      drop(['head', 'logits', 'outputQuantization']),
      'config.head.logits.outputQuantization must be an object',
    ],
    [
      '0 hidden channels',
      set(['head', 'hidden', 'outChannels'], 0),
      'config.head.hidden.outChannels must be at least 1',
    ],
  ])('%s', (_, edit, message) => {
    const config = structuredClone(committed);
    edit(config);
    expect(() => parseMovinetConfig(config)).toThrow(`MoViNet config: ${message}`);
  });
});

describe('parseMovinetConfig on pruned variants', () => {
  /** The committed config with b2_l1 pruned from 112 to 3 inner channels (channels 0, 5, 111). */
  function pruned(kept: unknown = [0, 5, 111]): Json {
    return edited((c) => {
      const l = at(c, 'layers', 5);
      l['expandChannels'] = 3;
      l['denseExpandChannels'] = 112;
      l['keptChannels'] = kept as Json[];
      at(l, 'expand')['outChannels'] = 3;
      Object.assign(at(l, 'spatial'), { inChannels: 3, outChannels: 3, groups: 3 });
      at(l, 'project')['inChannels'] = 3;
      c['floatOnly'] = true;
    });
  }

  it('reads the kept channels and the float-only flag', () => {
    const s = parseMovinetConfig(pruned());
    expect(s.floatOnly).toBe(true);
    expect(s.layers[5]).toMatchObject({
      expandChannels: 3,
      denseExpandChannels: 112,
      keptChannels: [0, 5, 111],
    });
    expect(s.layers[5]?.spatial.groups).toBe(3);
    // Other layers stay dense.
    expect(s.layers[4]).toMatchObject({
      expandChannels: 184,
      denseExpandChannels: 184,
      keptChannels: null,
    });
  });

  it('defaults to a dense, int8-capable network', () => {
    const s = parseMovinetConfig(committed);
    expect(s.floatOnly).toBe(false);
    expect(
      s.layers.every((l) => l.keptChannels === null && l.denseExpandChannels === l.expandChannels),
    ).toBe(true);
  });

  it.each<[string, unknown, string]>([
    [
      'too few kept channels',
      [0, 5],
      'config.layers[5].keptChannels must list 3 channels (expandChannels)',
    ],
    [
      'a repeated channel',
      [0, 5, 5],
      'config.layers[5].keptChannels[2] must be increasing and below denseExpandChannels 112',
    ],
    [
      'a channel past the dense width',
      [0, 5, 112],
      'config.layers[5].keptChannels[2] must be increasing and below',
    ],
    [
      'a negative channel',
      [-1, 5, 6],
      'config.layers[5].keptChannels[0] must be a non-negative integer',
    ],
    ['no list', 'all', 'config.layers[5].keptChannels must list 3 channels'],
  ])('rejects %s', (_, kept, message) => {
    expect(() => parseMovinetConfig(pruned(kept))).toThrow(`MoViNet config: ${message}`);
  });

  it('rejects a narrower layer that does not say which channels it kept', () => {
    const config = pruned();
    delete at(config, 'layers', 5)['keptChannels'];
    expect(() => parseMovinetConfig(config)).toThrow(
      'MoViNet config: config.layers[5].keptChannels must list the 3 kept channels',
    );
  });

  it.each<[string, (c: Json) => void, string]>([
    [
      'an expand conv of another width',
      set(['layers', 5, 'expand', 'outChannels'], 4),
      'expand.outChannels is 4, not expandChannels 3',
    ],
    [
      'a spatial conv of other groups',
      set(['layers', 5, 'spatial', 'groups'], 1),
      'spatial.groups is 1, not expandChannels 3',
    ],
    [
      'a spatial conv of another input',
      set(['layers', 5, 'spatial', 'inChannels'], 6),
      'spatial.inChannels is 6',
    ],
    [
      'a spatial conv of another output',
      set(['layers', 5, 'spatial', 'outChannels'], 6),
      'spatial.outChannels is 6',
    ],
    [
      'a project conv of another input',
      set(['layers', 5, 'project', 'inChannels'], 112),
      'project.inChannels is 112, not expandChannels 3',
    ],
    [
      'a non-boolean floatOnly',
      set(['floatOnly'], 'yes'),
      'config.floatOnly must be true or false',
    ],
  ])('rejects %s', (_, edit, message) => {
    const config = pruned();
    edit(config);
    expect(() => parseMovinetConfig(config)).toThrow(message);
  });
});
