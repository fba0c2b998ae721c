import { UserError } from '../../core';
import { rollbackTo, storedBlocks, type Checkpoint } from '../store/batch';
import type { Store } from '../store/bulk';
import { getHeader, type RpcClient } from './logs';

export interface Reorg {
  /** The last block both the stored chain and the node's chain agree on. */
  ancestor: number;
  /** How many indexed blocks were undone. */
  depth: number;
}

/**
 * Does the node still have the block the checkpoint names? If not (a reorg replaced it, or the chain is now
 * shorter), walks back through the stored block hashes to the common ancestor, deletes everything above it in
 * one transaction and returns it. Undefined: no reorg.
 */
export async function detectAndRollback(
  store: Store,
  rpc: RpcClient,
  chainId: number,
  cp: Checkpoint | undefined,
): Promise<Reorg | undefined> {
  if (!cp?.hash) return undefined; // nothing unfinalized indexed yet
  const current = await getHeader(rpc, cp.block);
  if (current?.hash === cp.hash) return undefined;
  return rollbackToAncestor(store, rpc, chainId, cp.block);
}

/** Walks back from the stored tip to the newest stored block the node agrees with and rolls back to it. */
export async function rollbackToAncestor(store: Store, rpc: RpcClient, chainId: number, tip: number): Promise<Reorg> {
  const stored = await storedBlocks(store, chainId);
  for (const block of stored) {
    const onChain = await getHeader(rpc, block.number);
    if (onChain?.hash === block.hash) {
      await rollbackTo(store, chainId, block);
      return { ancestor: block.number, depth: tip - block.number };
    }
  }
  const oldest = stored.at(-1)?.number ?? tip;
  throw new UserError(
    `chain ${chainId} reorganised deeper than the ${stored.length} block hashes kept (back to block ${oldest}): ` +
      `raise indexer.finalityDepth, then re-index from a block before ${oldest}`,
  );
}
