/**
 * Shared by the benchmark scripts: each prints human lines while it runs and, as its last stdout line, one JSON
 * object of figures (so `npm run bench:x -- --json | tail -1` is machine-readable).
 */
export const wantsJson = (): boolean => process.argv.includes('--json');

export function progress(text: string): void {
  process.stderr.write(`${text}\n`);
}

export function emitFigures(figures: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(figures, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
}

/** Wall-clock seconds of `fn`, with its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  const started = process.hrtime.bigint();
  const result = await fn();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, result };
}
