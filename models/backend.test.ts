import * as tf from '@tensorflow/tfjs';
import { currentBackend, selectBackend } from './backend';

describe('TF.js backend selection', () => {
  it('forcing cpu works and computes', async () => {
    expect(await selectBackend('cpu')).toEqual({ name: 'cpu', skipped: [] });
    expect(tf.getBackend()).toBe('cpu');
    expect(Array.from(await tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).data())).toEqual([4, 6]);
  });

  it('forcing wasm loads the binary from the package directory', async () => {
    expect((await selectBackend('wasm')).name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(currentBackend()).toBe('wasm');
    expect(Array.from(await tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).data())).toEqual([11]);
  });

  it('without a preference, skips the native backends that do not load here and names why', async () => {
    const choice = await selectBackend('');
    expect(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']).toContain(choice.name);
    if (choice.name === 'wasm') expect(choice.skipped).toHaveLength(2);
  });

  it('refuses an unknown or unavailable forced backend with a clear message', async () => {
    await expect(selectBackend('webgpu')).rejects.toThrow('RISK_ORACLE_BACKEND=webgpu is not a backend; expected one of');
    const native = await selectBackend('tensorflow').then(
      () => undefined,
      (err: Error) => err.message,
    );
    if (native !== undefined) expect(native).toMatch(/RISK_ORACLE_BACKEND=tensorflow cannot be used here/);
  });
});
