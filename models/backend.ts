import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import path from 'node:path';

/** TF.js backends in order of preference (DESIGN.md, Dependencies › ML). */
export const BACKENDS = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** The package that provides each backend; the node ones register themselves as `tensorflow` when required. */
const NODE_PACKAGES: Partial<Record<BackendName, string>> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

export interface BackendChoice {
  /** The backend name as written into the model card: `tensorflow-gpu`, `tensorflow`, `wasm` or `cpu`. */
  name: BackendName;
  /** Why each better backend was skipped (for the log). */
  skipped: string[];
}

let wasmPathsSet = false;
let selected: BackendName | undefined;

/** In Node the wasm binaries are read from the package's own dist directory, as a file path. */
function prepareWasm(): void {
  if (wasmPathsSet) return;
  const wasmFile = require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
  setWasmPaths(path.dirname(wasmFile) + path.sep);
  wasmPathsSet = true;
}

async function tryBackend(name: BackendName): Promise<string | undefined> {
  try {
    const pkg = NODE_PACKAGES[name];
    if (pkg) {
      // Optional native bindings: a guarded require, since their installer is skipped where libtensorflow cannot download.
      require(pkg);
      if (!(await tf.setBackend('tensorflow'))) return `${pkg} loaded but its backend did not initialise`;
    } else {
      if (name === 'wasm') prepareWasm();
      if (!(await tf.setBackend(name))) return `${name} did not initialise`;
    }
    await tf.ready();
    return undefined;
  } catch (err) {
    return `${name}: ${(err as Error).message.split('\n')[0]}`;
  }
}

/**
 * Selects the best TF.js backend that loads here, or the one `RISK_ORACLE_BACKEND` (or `force`) names; a forced
 * backend that fails is an error, never a silent fallback. Returns the name for the model card.
 */
export async function selectBackend(force: string | undefined = process.env.RISK_ORACLE_BACKEND): Promise<BackendChoice> {
  if (force) {
    const name = force === 'node' ? 'tensorflow' : force === 'node-gpu' || force === 'gpu' ? 'tensorflow-gpu' : force;
    if (!(BACKENDS as readonly string[]).includes(name)) {
      throw new Error(`RISK_ORACLE_BACKEND=${force} is not a backend; expected one of ${BACKENDS.join(', ')}`);
    }
    const failure = await tryBackend(name as BackendName);
    if (failure) throw new Error(`RISK_ORACLE_BACKEND=${force} cannot be used here (${failure}); unset it to pick the best available`);
    selected = name as BackendName;
    return { name: selected, skipped: [] };
  }
  const skipped: string[] = [];
  for (const name of BACKENDS) {
    const failure = await tryBackend(name);
    if (!failure) {
      selected = name;
      return { name, skipped };
    }
    skipped.push(failure);
  }
  throw new Error(`no TF.js backend loads here: ${skipped.join('; ')}`);
}

/** The backend last chosen by `selectBackend` (the name the model card records), or TF.js's own name otherwise. */
export function currentBackend(): string {
  return selected ?? tf.getBackend();
}
