import { AdaptiveRange, isRangeError } from '../indexer';

export interface LogRangeOptions {
  /** Blocks asked for in one call at first. Default: 5 000 (public RPCs commonly allow 10 000 or fewer). */
  chunk?: number;
  /** Called with the smaller size after a provider refused a range as too large (for a log line or a test). */
  onShrink?: (size: number) => void;
}

export const DEFAULT_LOG_CHUNK = 5_000;

/**
 * Every log in [from, to], read in ranges of at most `chunk` blocks: a range the provider refuses as too large
 * ("block range", "limit exceeded", -32005…, see `isRangeError`) is asked again at half the size, down to one
 * block, and the smaller size is kept for the ranges after it; it grows back by half after each success, never
 * past `chunk`. Any other error is thrown as it is. Logs come back in range order.
 */
export async function queryLogsInRanges<T>(
  query: (from: number, to: number) => Promise<T[]>,
  from: number,
  to: number,
  options: LogRangeOptions = {},
): Promise<T[]> {
  const chunk = options.chunk ?? DEFAULT_LOG_CHUNK;
  if (!Number.isInteger(chunk) || chunk < 1) throw new Error(`log range chunk: expected a whole number of blocks ≥ 1, got ${chunk}`);
  const range = new AdaptiveRange(chunk, chunk);
  const out: T[] = [];
  for (let start = Math.max(0, from); start <= to;) {
    const end = Math.min(to, start + range.size - 1);
    try {
      out.push(...(await query(start, end)));
      start = end + 1;
      range.grow();
    } catch (err) {
      if (!isRangeError(err) || end === start) throw err;
      range.shrinkTo(Math.ceil((end - start + 1) / 2));
      options.onShrink?.(range.size);
    }
  }
  return out;
}
