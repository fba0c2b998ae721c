import type { FractionParams, ParameterPath } from './engine';

/** The same parameters at every step. */
export function staticPath(params: FractionParams[]): ParameterPath {
  return (asset) => params[asset]!;
}
