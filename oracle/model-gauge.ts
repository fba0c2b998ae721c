import { Gauge, type Registry } from '../core';

export type ModelKind = 'collateral' | 'credit';

/**
 * `risk_oracle_model_in_force{kind,model}`: 1 for the model each kind publishes with, and for that one only. A
 * promotion moves the series: the previous model's label is removed rather than left at 1 beside the new one.
 * Returns the setter.
 */
export function modelInForceGauge(registry: Registry): (kind: ModelKind, model: string) => void {
  const gauge = new Gauge({
    name: 'risk_oracle_model_in_force',
    help: 'the model the oracle publishes with, per kind (value 1)',
    labelNames: ['kind', 'model'],
    registers: [registry],
  });
  const current = new Map<ModelKind, string>();
  return (kind, model) => {
    const previous = current.get(kind);
    if (previous !== undefined && previous !== model) gauge.remove({ kind, model: previous });
    current.set(kind, model);
    gauge.set({ kind, model }, 1);
  };
}
