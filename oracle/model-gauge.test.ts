import { createMetricsRegistry } from '../core';
import { modelInForceGauge } from './model-gauge';

describe('risk_oracle_model_in_force', () => {
  it('keeps one series per kind: a promotion removes the previous model, the other kind is untouched', async () => {
    const registry = createMetricsRegistry({ defaults: false });
    const setModel = modelInForceGauge(registry);
    const series = async () =>
      (await registry.metrics())
        .split('\n')
        .filter((l) => l.startsWith('risk_oracle_model_in_force{'))
        .sort();
    setModel('collateral', '0xc1');
    setModel('credit', '0xa');
    setModel('credit', '0xa');
    expect(await series()).toEqual([
      'risk_oracle_model_in_force{kind="collateral",model="0xc1"} 1',
      'risk_oracle_model_in_force{kind="credit",model="0xa"} 1',
    ]);
    // the DAO promotes another credit model: the old one no longer reads as in force
    setModel('credit', '0xb');
    expect(await series()).toEqual([
      'risk_oracle_model_in_force{kind="collateral",model="0xc1"} 1',
      'risk_oracle_model_in_force{kind="credit",model="0xb"} 1',
    ]);
  });
});
