import { createRandom, normal } from '../../core/random';
import { selectBackend } from '../backend';
import { generatePopulation, runBacktest } from './engine';
import { quantileModelPath } from './model-policy';
import { staticPath } from './policies';

describe('walk-forward parameters from the collateral quantile model', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('never looks ahead, tightens after a crash, holds a pegged asset steady, and loses less than loose static parameters', async () => {
    const random = createRandom(5);
    const steps = 24 * 80;
    const crashAt = 24 * 60;
    const eth: number[] = [2_000];
    const usd: number[] = [1];
    for (let i = 1; i < steps; i++) {
      const sigma = i >= crashAt ? 0.03 : 0.008;
      eth.push(eth[i - 1]! * Math.exp(sigma * normal(random) - (i >= crashAt && i < crashAt + 4 ? 0.1 : 0)));
      usd.push(1 + 0.0005 * normal(random));
    }
    const calm = eth.map((p, i) => (i < crashAt ? p : eth[crashAt - 1]! * (1 + 0.001 * Math.sin(i))));
    const bounds = {
      min: { ltv: 0.2, liquidationThreshold: 0.3, liquidationBonus: 0.02 },
      max: { ltv: 0.9, liquidationThreshold: 0.93, liquidationBonus: 0.15 },
      maxChange: 0.05,
    };
    const initial = { ltv: 0.75, liquidationThreshold: 0.8, liquidationBonus: 0.05 };
    const options = {
      quantile: 0.99,
      horizonSteps: 24,
      stepSeconds: 3_600,
      cadenceSteps: 24,
      retrainSteps: 24 * 10,
      minTrainSteps: 24 * 35,
      sampleEvery: 8,
      initial: [initial, initial],
      bounds: [bounds, bounds],
      ethIndex: 0,
      pegs: [undefined, 1],
      seed: 1,
      epochs: 30,
    };
    const crashed = await quantileModelPath([eth, usd], options);
    const quiet = await quantileModelPath([calm, usd], options);
    for (let i = 0; i <= crashAt; i++) expect(crashed.params[0]![i]).toEqual(quiet.params[0]![i]);
    const before = crashed.params[0]![crashAt]!.liquidationThreshold;
    const after = crashed.params[0]![steps - 1]!.liquidationThreshold;
    expect(after).toBeLessThan(before - 0.05);
    // the stablecoin keeps a high threshold throughout
    expect(crashed.params[1]![steps - 1]!.liquidationThreshold).toBeGreaterThan(0.85);
    for (let i = 1; i < steps; i++) {
      const a = crashed.params[0]![i]!;
      expect(Math.abs(a.liquidationThreshold - crashed.params[0]![i - 1]!.liquidationThreshold)).toBeLessThanOrEqual(0.05 + 1e-12);
      expect(a.ltv).toBeLessThanOrEqual(a.liquidationThreshold);
    }
    const openings = generatePopulation(2, steps, {
      seed: 2,
      openRate: 0.3,
      shareAtMax: 0.3,
      lifetimeMeanSteps: 24 * 10,
      sizeMedianUsd: 10_000,
      sizeSigma: 0.5,
    });
    const loose = runBacktest(
      ['ETH', 'USD'],
      [eth, usd],
      staticPath([{ ltv: 0.85, liquidationThreshold: 0.9, liquidationBonus: 0.05 }, initial]),
      openings,
    );
    const model = runBacktest(['ETH', 'USD'], [eth, usd], crashed.path, openings);
    expect(model.badDebtUsd).toBeLessThan(loose.badDebtUsd);
  }, 90_000);
});
