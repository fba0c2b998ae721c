import { createRandom, normal } from '../../core/random';
import { selectBackend } from '../backend';
import { canonicalJson } from '../credit/canonical-json';
import { checkCollateralArtifact, loadCollateralLayers } from './artifact-file';
import { canonicalQuantiles, collateralProposer, decodeCollateralNetwork, featureWindowSteps } from './canonical';
import { COLLATERAL_FEATURES, collateralFeatures } from './features';
import { canonicalExp, canonicalLog, canonicalSoftplus } from './ieee-math';
import { predictQuantiles } from './quantile';
import { trainCollateral, type CollateralArtifact } from './train';

const STEP = 3_600;
const T0 = 1_700_000_000;

/** 60 days of hourly prices: ETH, a volatile token correlated with it, a stablecoin. */
function market(seed: number) {
  const random = createRandom(seed);
  const steps = 24 * 60;
  const eth = [2_000];
  const gov = [10];
  const usd = [1];
  for (let i = 1; i < steps; i++) {
    const sigma = Math.floor(i / (24 * 15)) % 2 === 0 ? 0.006 : 0.02;
    const m = normal(random);
    eth.push(eth[i - 1]! * Math.exp(sigma * m));
    gov.push(gov[i - 1]! * Math.exp(2 * sigma * (0.6 * m + 0.8 * normal(random))));
    usd.push(1 + 0.0005 * normal(random));
  }
  // GOV's market depth swings between 1 and 3 M USD; the others have none (the feature's default)
  const depth = gov.map((_, i) => 2e6 + 1e6 * Math.sin(i / 50));
  return [
    { symbol: 'WETH', prices: eth },
    { symbol: 'GOV', prices: gov, liquidity: depth },
    { symbol: 'USDC', prices: usd, peg: 1 },
  ];
}

const points = (prices: readonly number[], liquidity?: readonly number[]) =>
  prices.map((p, i) => ({ t: T0 + i * STEP, p, ...(liquidity ? { liquidityUsd: liquidity[i]! } : {}) }));

describe('canonical float64 arithmetic', () => {
  it('exp and log give the fdlibm bits V8 gives, and softplus is ln(1 + eˣ)', () => {
    const random = createRandom(3);
    for (let k = 0; k < 20_000; k++) {
      const x = (random() - 0.5) * 10 ** Math.floor(random() * 6 - 3) * (random() < 0.1 ? 1_400 : 1);
      if (x !== 1) expect(canonicalExp(x)).toBe(Math.exp(x)); // V8 special-cases exp(1) to Math.E
      const y = Math.abs(x) * 10 ** Math.floor(random() * 40 - 20);
      expect(canonicalLog(y)).toBe(Math.log(y));
    }
    expect([canonicalExp(-Infinity), canonicalExp(Infinity), canonicalExp(800), canonicalExp(-800)]).toEqual([0, Infinity, Infinity, 0]);
    expect(canonicalLog(0)).toBe(-Infinity);
    expect(canonicalLog(-1)).toBeNaN();
    for (const x of [-40, -3, -1e-9, 0, 0.5, 3, 40, 800])
      expect(canonicalSoftplus(x)).toBeCloseTo(Math.log1p(Math.exp(-Math.abs(x))) + Math.max(x, 0), 14);
  });
});

describe('canonical collateral inference', () => {
  let trained: Awaited<ReturnType<typeof trainCollateral>>;
  const assets = market(5);

  beforeAll(async () => {
    await selectBackend('wasm');
    trained = await trainCollateral(assets, {
      ethSymbol: 'WETH',
      stepSeconds: STEP,
      horizonSteps: 24,
      sampleEvery: 6,
      seed: 3,
      backend: 'wasm',
      quantiles: [0.9, 0.99],
      epochs: 6,
      codeVersion: 'test',
    });
  }, 60_000);
  afterAll(() => trained?.model.model.dispose());

  it('the artifact names its reference asset, proposal quantile and mapping, and passes its own checks', () => {
    expect(trained.artifact).toMatchObject({ referenceAsset: 'WETH', proposalQuantile: 0.99, mapping: { ltvBuffer: 0.05 } });
    expect(checkCollateralArtifact(JSON.parse(trained.json), 'artifact')).toEqual(trained.artifact);
  });

  it('matches TF.js predictQuantiles within float32 rounding on random inputs, with the same bits every time', async () => {
    const network = decodeCollateralNetwork(trained.artifact);
    const random = createRandom(11);
    const width = COLLATERAL_FEATURES.length;
    const rows = 500;
    const x = new Float64Array(rows * width);
    const { mean, std } = trained.artifact.normalisation;
    for (let i = 0; i < x.length; i++) x[i] = mean[i % width]! + 3 * std[i % width]! * normal(random);
    const tf = predictQuantiles(trained.model, x);
    const loaded = await loadCollateralLayers(JSON.parse(trained.json) as CollateralArtifact);
    const fromFile = predictQuantiles(loaded, x);
    loaded.model.dispose();
    let worst = 0;
    for (let r = 0; r < rows; r++) {
      const row = x.subarray(r * width, (r + 1) * width);
      const q = canonicalQuantiles(network, row);
      for (let k = 0; k < q.length; k++) {
        worst = Math.max(worst, Math.abs(q[k]! - tf[r]![k]!) / (1e-3 + Math.abs(q[k]!)));
        expect(fromFile[r]![k]).toBe(tf[r]![k]);
      }
      if (q[1]! < q[0]!) throw new Error(`quantiles cross in row ${r}`);
      // bits: the same on a second run and from a network decoded again from the file's bytes
      const again = canonicalQuantiles(decodeCollateralNetwork(JSON.parse(trained.json) as CollateralArtifact), row);
      expect(Buffer.from(again.buffer).equals(Buffer.from(q.buffer))).toBe(true);
    }
    expect(worst).toBeLessThan(1e-4); // float32 kernels against float64: about 5e-5 here
  });

  it('refuses a topology it does not know, and non-finite features or outputs', () => {
    const base = JSON.parse(trained.json) as CollateralArtifact;
    const topology = base.layers.modelTopology as { config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } };
    const variant = (edit: (t: typeof topology) => void): CollateralArtifact => {
      const copy = JSON.parse(trained.json) as CollateralArtifact;
      edit(copy.layers.modelTopology as typeof topology);
      return copy;
    };
    expect(() => decodeCollateralNetwork(variant((t) => (t.config.layers[1]!.config.activation = 'tanh')))).toThrow(
      'layer hidden has activation "tanh": the canonical collateral model runs a chain of Dense layers',
    );
    expect(() => decodeCollateralNetwork(variant((t) => (t.config.layers[2]!.class_name = 'Conv1D')))).toThrow('layer raw is "Conv1D"');
    expect(() => decodeCollateralNetwork(variant((t) => (t.config.layers[1]!.config.units = 8)))).toThrow('expected float32 hidden/kernel');
    expect(() => checkCollateralArtifact({ ...base, proposalQuantile: 0.5 }, 'file x')).toThrow(
      'file x: proposalQuantile 0.5 is not among',
    );
    const { referenceAsset: _r, ...old } = base;
    expect(() => checkCollateralArtifact(old, 'file y')).toThrow('file y: referenceAsset');

    const network = decodeCollateralNetwork(base);
    const row = Float64Array.from(base.normalisation.mean);
    row[3] = NaN;
    expect(() => canonicalQuantiles(network, row)).toThrow('feature vol_30d is NaN');
    const bytes = Buffer.from(base.layers.weightData, 'base64');
    bytes.writeFloatLE(Infinity, bytes.length - 4); // the last bias of the output layer
    const broken = decodeCollateralNetwork({ ...base, layers: { ...base.layers, weightData: bytes.toString('base64') } });
    expect(() => canonicalQuantiles(broken, Float64Array.from(base.normalisation.mean))).toThrow(
      "the model's q0.99 output is Infinity: refusing a non-finite prediction",
    );
    expect(topology.config.layers).toHaveLength(3);
  });

  it('proposes from price series up to t: the training features, bps, a features root, and refuses a short history', () => {
    const propose = collateralProposer(trained.artifact);
    const n = featureWindowSteps(STEP);
    const step = 24 * 50;
    const at = T0 + step * STEP;
    const eth = points(assets[0]!.prices);
    const later = (series: typeof eth) => [...series, { t: at + STEP, p: 1e-3 }]; // after `at`: never read
    const byAsset = assets.map((a) =>
      propose({
        symbol: a.symbol,
        at,
        prices: later(points(a.prices, 'liquidity' in a ? a.liquidity : undefined)),
        reference: eth,
        ...('peg' in a ? { peg: a.peg } : {}),
      }),
    );
    assets.forEach((a, k) => {
      const expected = collateralFeatures(a, assets[0]!.prices, step, STEP);
      expect(Object.values(byAsset[k]!.explanation.features)).toEqual(Array.from(expected));
      const q = canonicalQuantiles(decodeCollateralNetwork(trained.artifact), expected);
      expect(byAsset[k]!.explanation.predictedMove).toBe(q[1]);
      expect(byAsset[k]!.inputsRoot).toMatch(/^0x[0-9a-f]{64}$/);
    });
    const [weth, gov, usdc] = byAsset;
    expect(usdc!.params.liquidationThreshold).toBeGreaterThan(gov!.params.liquidationThreshold);
    for (const p of byAsset) {
      expect(p.params.ltv).toBeLessThanOrEqual(p.params.liquidationThreshold);
      expect(p.params.liquidationBonus).toBe(10_000 + Math.round(10_000 * 0.022));
    }
    // the same inputs give the same bytes; another asset's features another root
    expect(canonicalJson(propose({ symbol: 'WETH', at, prices: eth, reference: eth }))).toBe(canonicalJson(weth));
    expect(gov!.inputsRoot).not.toBe(weth!.inputsRoot);
    // the liquidity feature is GOV's depth at `at`; a thinner book is another feature row, another root
    expect(gov!.explanation.features.log_liquidity_usd).toBe(canonicalLog(assets[1]!.liquidity![step]!));
    const govPoints = points(assets[1]!.prices, assets[1]!.liquidity);
    const thinner = propose({
      symbol: 'GOV',
      at,
      prices: govPoints.map((p) => (p.t === at ? { ...p, liquidityUsd: 1e5 } : p)),
      reference: eth,
    });
    expect(thinner.explanation.features.log_liquidity_usd).toBe(canonicalLog(1e5));
    expect(thinner.inputsRoot).not.toBe(gov!.inputsRoot);
    const tooEarly = T0 + (n - 1) * STEP;
    expect(() => propose({ symbol: 'GOV', at: tooEarly, prices: points(assets[1]!.prices), reference: eth })).toThrow(
      'GOV: GOV prices start after',
    );
  });
});
