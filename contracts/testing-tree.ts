import { getAddress, getBytes, hexlify } from 'ethers';
import type { ScoreLeaf } from '../oracle/epoch';

/**
 * Test helper: credit-epoch trees of 2^20 leaves in seconds. OpenZeppelin's StandardMerkleTree (what
 * `buildScoreTree` uses) takes minutes for that many, and ethers' keccak256 alone about a minute for the ~3 million
 * hashes, so this builds the same tree (same leaf hashes, leaf order and node layout, hence the same root and
 * proofs: testing-tree.test.ts compares them with `buildScoreTree`'s) over flat byte arrays, with a keccak-f[1600]
 * unrolled on 32-bit halves.
 */

// ---------------------------------------------------------------- keccak256 for inputs of one block

if (new Uint8Array(Uint32Array.of(1).buffer)[0] !== 1) throw new Error('testing-tree assumes a little-endian host');

/** Round constants of keccak-f[1600], low and high 32 bits (from the spec's LFSR). */
const ROUND_LO = new Int32Array(24);
const ROUND_HI = new Int32Array(24);
{
  let r = 1;
  for (let round = 0; round < 24; round++) {
    for (let j = 0; j < 7; j++) {
      r = ((r << 1) ^ ((r >> 7) * 0x71)) % 256;
      const bit = (1 << j) - 1;
      if (r & 2) {
        if (bit < 32) ROUND_LO[round]! ^= 1 << bit;
        else ROUND_HI[round]! ^= 1 << (bit - 32);
      }
    }
  }
}

/**
 * keccak-f[1600] on 25 lanes stored as 50 little-endian 32-bit halves (lo, hi). Each round is theta, rho and pi
 * (lane i moves to pi(i), rotated by its rho offset) into b, then chi back into the state, then iota; unrolled
 * because it runs ~3 million times per 2^20-leaf tree.
 */
function permute(s: Int32Array): void {
  let l0 = s[0]!;
  let h0 = s[1]!;
  let l1 = s[2]!;
  let h1 = s[3]!;
  let l2 = s[4]!;
  let h2 = s[5]!;
  let l3 = s[6]!;
  let h3 = s[7]!;
  let l4 = s[8]!;
  let h4 = s[9]!;
  let l5 = s[10]!;
  let h5 = s[11]!;
  let l6 = s[12]!;
  let h6 = s[13]!;
  let l7 = s[14]!;
  let h7 = s[15]!;
  let l8 = s[16]!;
  let h8 = s[17]!;
  let l9 = s[18]!;
  let h9 = s[19]!;
  let l10 = s[20]!;
  let h10 = s[21]!;
  let l11 = s[22]!;
  let h11 = s[23]!;
  let l12 = s[24]!;
  let h12 = s[25]!;
  let l13 = s[26]!;
  let h13 = s[27]!;
  let l14 = s[28]!;
  let h14 = s[29]!;
  let l15 = s[30]!;
  let h15 = s[31]!;
  let l16 = s[32]!;
  let h16 = s[33]!;
  let l17 = s[34]!;
  let h17 = s[35]!;
  let l18 = s[36]!;
  let h18 = s[37]!;
  let l19 = s[38]!;
  let h19 = s[39]!;
  let l20 = s[40]!;
  let h20 = s[41]!;
  let l21 = s[42]!;
  let h21 = s[43]!;
  let l22 = s[44]!;
  let h22 = s[45]!;
  let l23 = s[46]!;
  let h23 = s[47]!;
  let l24 = s[48]!;
  let h24 = s[49]!;
  for (let round = 0; round < 24; round++) {
    const c0l = l0 ^ l5 ^ l10 ^ l15 ^ l20;
    const c0h = h0 ^ h5 ^ h10 ^ h15 ^ h20;
    const c1l = l1 ^ l6 ^ l11 ^ l16 ^ l21;
    const c1h = h1 ^ h6 ^ h11 ^ h16 ^ h21;
    const c2l = l2 ^ l7 ^ l12 ^ l17 ^ l22;
    const c2h = h2 ^ h7 ^ h12 ^ h17 ^ h22;
    const c3l = l3 ^ l8 ^ l13 ^ l18 ^ l23;
    const c3h = h3 ^ h8 ^ h13 ^ h18 ^ h23;
    const c4l = l4 ^ l9 ^ l14 ^ l19 ^ l24;
    const c4h = h4 ^ h9 ^ h14 ^ h19 ^ h24;
    const d0l = c4l ^ ((c1l << 1) | (c1h >>> 31));
    const d0h = c4h ^ ((c1h << 1) | (c1l >>> 31));
    const d1l = c0l ^ ((c2l << 1) | (c2h >>> 31));
    const d1h = c0h ^ ((c2h << 1) | (c2l >>> 31));
    const d2l = c1l ^ ((c3l << 1) | (c3h >>> 31));
    const d2h = c1h ^ ((c3h << 1) | (c3l >>> 31));
    const d3l = c2l ^ ((c4l << 1) | (c4h >>> 31));
    const d3h = c2h ^ ((c4h << 1) | (c4l >>> 31));
    const d4l = c3l ^ ((c0l << 1) | (c0h >>> 31));
    const d4h = c3h ^ ((c0h << 1) | (c0l >>> 31));
    const b0l = l0 ^ d0l;
    const b0h = h0 ^ d0h;
    const b10l = ((l1 ^ d1l) << 1) | ((h1 ^ d1h) >>> 31);
    const b10h = ((h1 ^ d1h) << 1) | ((l1 ^ d1l) >>> 31);
    const b20l = ((h2 ^ d2h) << 30) | ((l2 ^ d2l) >>> 2);
    const b20h = ((l2 ^ d2l) << 30) | ((h2 ^ d2h) >>> 2);
    const b5l = ((l3 ^ d3l) << 28) | ((h3 ^ d3h) >>> 4);
    const b5h = ((h3 ^ d3h) << 28) | ((l3 ^ d3l) >>> 4);
    const b15l = ((l4 ^ d4l) << 27) | ((h4 ^ d4h) >>> 5);
    const b15h = ((h4 ^ d4h) << 27) | ((l4 ^ d4l) >>> 5);
    const b16l = ((h5 ^ d0h) << 4) | ((l5 ^ d0l) >>> 28);
    const b16h = ((l5 ^ d0l) << 4) | ((h5 ^ d0h) >>> 28);
    const b1l = ((h6 ^ d1h) << 12) | ((l6 ^ d1l) >>> 20);
    const b1h = ((l6 ^ d1l) << 12) | ((h6 ^ d1h) >>> 20);
    const b11l = ((l7 ^ d2l) << 6) | ((h7 ^ d2h) >>> 26);
    const b11h = ((h7 ^ d2h) << 6) | ((l7 ^ d2l) >>> 26);
    const b21l = ((h8 ^ d3h) << 23) | ((l8 ^ d3l) >>> 9);
    const b21h = ((l8 ^ d3l) << 23) | ((h8 ^ d3h) >>> 9);
    const b6l = ((l9 ^ d4l) << 20) | ((h9 ^ d4h) >>> 12);
    const b6h = ((h9 ^ d4h) << 20) | ((l9 ^ d4l) >>> 12);
    const b7l = ((l10 ^ d0l) << 3) | ((h10 ^ d0h) >>> 29);
    const b7h = ((h10 ^ d0h) << 3) | ((l10 ^ d0l) >>> 29);
    const b17l = ((l11 ^ d1l) << 10) | ((h11 ^ d1h) >>> 22);
    const b17h = ((h11 ^ d1h) << 10) | ((l11 ^ d1l) >>> 22);
    const b2l = ((h12 ^ d2h) << 11) | ((l12 ^ d2l) >>> 21);
    const b2h = ((l12 ^ d2l) << 11) | ((h12 ^ d2h) >>> 21);
    const b12l = ((l13 ^ d3l) << 25) | ((h13 ^ d3h) >>> 7);
    const b12h = ((h13 ^ d3h) << 25) | ((l13 ^ d3l) >>> 7);
    const b22l = ((h14 ^ d4h) << 7) | ((l14 ^ d4l) >>> 25);
    const b22h = ((l14 ^ d4l) << 7) | ((h14 ^ d4h) >>> 25);
    const b23l = ((h15 ^ d0h) << 9) | ((l15 ^ d0l) >>> 23);
    const b23h = ((l15 ^ d0l) << 9) | ((h15 ^ d0h) >>> 23);
    const b8l = ((h16 ^ d1h) << 13) | ((l16 ^ d1l) >>> 19);
    const b8h = ((l16 ^ d1l) << 13) | ((h16 ^ d1h) >>> 19);
    const b18l = ((l17 ^ d2l) << 15) | ((h17 ^ d2h) >>> 17);
    const b18h = ((h17 ^ d2h) << 15) | ((l17 ^ d2l) >>> 17);
    const b3l = ((l18 ^ d3l) << 21) | ((h18 ^ d3h) >>> 11);
    const b3h = ((h18 ^ d3h) << 21) | ((l18 ^ d3l) >>> 11);
    const b13l = ((l19 ^ d4l) << 8) | ((h19 ^ d4h) >>> 24);
    const b13h = ((h19 ^ d4h) << 8) | ((l19 ^ d4l) >>> 24);
    const b14l = ((l20 ^ d0l) << 18) | ((h20 ^ d0h) >>> 14);
    const b14h = ((h20 ^ d0h) << 18) | ((l20 ^ d0l) >>> 14);
    const b24l = ((l21 ^ d1l) << 2) | ((h21 ^ d1h) >>> 30);
    const b24h = ((h21 ^ d1h) << 2) | ((l21 ^ d1l) >>> 30);
    const b9l = ((h22 ^ d2h) << 29) | ((l22 ^ d2l) >>> 3);
    const b9h = ((l22 ^ d2l) << 29) | ((h22 ^ d2h) >>> 3);
    const b19l = ((h23 ^ d3h) << 24) | ((l23 ^ d3l) >>> 8);
    const b19h = ((l23 ^ d3l) << 24) | ((h23 ^ d3h) >>> 8);
    const b4l = ((l24 ^ d4l) << 14) | ((h24 ^ d4h) >>> 18);
    const b4h = ((h24 ^ d4h) << 14) | ((l24 ^ d4l) >>> 18);
    l0 = b0l ^ (~b1l & b2l);
    h0 = b0h ^ (~b1h & b2h);
    l1 = b1l ^ (~b2l & b3l);
    h1 = b1h ^ (~b2h & b3h);
    l2 = b2l ^ (~b3l & b4l);
    h2 = b2h ^ (~b3h & b4h);
    l3 = b3l ^ (~b4l & b0l);
    h3 = b3h ^ (~b4h & b0h);
    l4 = b4l ^ (~b0l & b1l);
    h4 = b4h ^ (~b0h & b1h);
    l5 = b5l ^ (~b6l & b7l);
    h5 = b5h ^ (~b6h & b7h);
    l6 = b6l ^ (~b7l & b8l);
    h6 = b6h ^ (~b7h & b8h);
    l7 = b7l ^ (~b8l & b9l);
    h7 = b7h ^ (~b8h & b9h);
    l8 = b8l ^ (~b9l & b5l);
    h8 = b8h ^ (~b9h & b5h);
    l9 = b9l ^ (~b5l & b6l);
    h9 = b9h ^ (~b5h & b6h);
    l10 = b10l ^ (~b11l & b12l);
    h10 = b10h ^ (~b11h & b12h);
    l11 = b11l ^ (~b12l & b13l);
    h11 = b11h ^ (~b12h & b13h);
    l12 = b12l ^ (~b13l & b14l);
    h12 = b12h ^ (~b13h & b14h);
    l13 = b13l ^ (~b14l & b10l);
    h13 = b13h ^ (~b14h & b10h);
    l14 = b14l ^ (~b10l & b11l);
    h14 = b14h ^ (~b10h & b11h);
    l15 = b15l ^ (~b16l & b17l);
    h15 = b15h ^ (~b16h & b17h);
    l16 = b16l ^ (~b17l & b18l);
    h16 = b16h ^ (~b17h & b18h);
    l17 = b17l ^ (~b18l & b19l);
    h17 = b17h ^ (~b18h & b19h);
    l18 = b18l ^ (~b19l & b15l);
    h18 = b18h ^ (~b19h & b15h);
    l19 = b19l ^ (~b15l & b16l);
    h19 = b19h ^ (~b15h & b16h);
    l20 = b20l ^ (~b21l & b22l);
    h20 = b20h ^ (~b21h & b22h);
    l21 = b21l ^ (~b22l & b23l);
    h21 = b21h ^ (~b22h & b23h);
    l22 = b22l ^ (~b23l & b24l);
    h22 = b22h ^ (~b23h & b24h);
    l23 = b23l ^ (~b24l & b20l);
    h23 = b23h ^ (~b24h & b20h);
    l24 = b24l ^ (~b20l & b21l);
    h24 = b24h ^ (~b20h & b21h);
    l0 ^= ROUND_LO[round]!;
    h0 ^= ROUND_HI[round]!;
  }
  s[0] = l0;
  s[1] = h0;
  s[2] = l1;
  s[3] = h1;
  s[4] = l2;
  s[5] = h2;
  s[6] = l3;
  s[7] = h3;
  s[8] = l4;
  s[9] = h4;
  s[10] = l5;
  s[11] = h5;
  s[12] = l6;
  s[13] = h6;
  s[14] = l7;
  s[15] = h7;
  s[16] = l8;
  s[17] = h8;
  s[18] = l9;
  s[19] = h9;
  s[20] = l10;
  s[21] = h10;
  s[22] = l11;
  s[23] = h11;
  s[24] = l12;
  s[25] = h12;
  s[26] = l13;
  s[27] = h13;
  s[28] = l14;
  s[29] = h14;
  s[30] = l15;
  s[31] = h15;
  s[32] = l16;
  s[33] = h16;
  s[34] = l17;
  s[35] = h17;
  s[36] = l18;
  s[37] = h18;
  s[38] = l19;
  s[39] = h19;
  s[40] = l20;
  s[41] = h20;
  s[42] = l21;
  s[43] = h21;
  s[44] = l22;
  s[45] = h22;
  s[46] = l23;
  s[47] = h23;
  s[48] = l24;
  s[49] = h24;
}

const STATE = new Int32Array(50);
const STATE_BYTES = new Uint8Array(STATE.buffer);
/** keccak256's rate: an input shorter than this is one padded block. */
const RATE = 136;

/** keccak256 of `input[offset, offset + length)` (length < 136), written into `out` at `outOffset`. */
export function keccak256Into(input: Uint8Array, offset: number, length: number, out: Uint8Array, outOffset: number): void {
  if (length >= RATE) throw new Error(`keccak256Into hashes inputs of one block (< ${RATE} bytes), not ${length}`);
  STATE.fill(0);
  STATE_BYTES.set(input.subarray(offset, offset + length));
  STATE_BYTES[length]! ^= 0x01;
  STATE_BYTES[RATE - 1]! ^= 0x80;
  permute(STATE);
  out.set(STATE_BYTES.subarray(0, 32), outOffset);
}

// ---------------------------------------------------------------- score leaves and trees

/** Bytes of one leaf's `abi.encode(address wallet, uint256 score, uint256 pd, bytes32 featuresHash)`. */
export const LEAF_BYTES = 128;

/** Score leaves packed as their ABI encodings, `LEAF_BYTES` apiece (a million leaves are 128 MiB, not 1 GiB of objects). */
export interface PackedLeaves {
  count: number;
  encoded: Uint8Array;
}

/**
 * `count` random leaves from `seed`: distinct random wallets, scores 300..850, PDs below 1e18 and random features
 * hashes, as the oracle publishes them.
 */
export function randomLeaves(count: number, seed: number): PackedLeaves {
  const encoded = new Uint8Array(count * LEAF_BYTES);
  const view = new DataView(encoded.buffer);
  // xorshift32: its period (2^32 - 1) keeps every wallet distinct, and it reads no globals (each global lookup is
  // slow inside jest's sandbox, which made core/random's generator the bulk of a 2^20-leaf tree's time)
  let x = seed | 0 || 0x2545f491;
  const word = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  for (let i = 0; i < count; i++) {
    const at = i * LEAF_BYTES;
    for (let w = 0; w < 5; w++) view.setUint32(at + 12 + 4 * w, word()); // wallet: bytes 12..31
    view.setUint16(at + 62, 300 + (word() % 551)); // score
    // pd: the last 8 bytes of its word, high half below 1e18 / 2^32
    view.setUint32(at + 88, word() % 232_830_643);
    view.setUint32(at + 92, word());
    for (let w = 0; w < 8; w++) view.setUint32(at + 96 + 4 * w, word()); // features hash
  }
  return { count, encoded };
}

/** Leaf `i` decoded. */
export function leafAt(leaves: PackedLeaves, i: number): ScoreLeaf {
  const at = i * LEAF_BYTES;
  const view = new DataView(leaves.encoded.buffer, leaves.encoded.byteOffset);
  return {
    wallet: getAddress(hexlify(leaves.encoded.subarray(at + 12, at + 32))),
    score: view.getUint16(at + 62),
    pd: view.getBigUint64(at + 88),
    featuresHash: hexlify(leaves.encoded.subarray(at + 96, at + 128)),
  };
}

/** Leaves packed from objects (scores and PDs as the contract accepts them: score < 2^16, pd <= 1e18 < 2^64). */
export function packLeaves(leaves: readonly ScoreLeaf[]): PackedLeaves {
  const encoded = new Uint8Array(leaves.length * LEAF_BYTES);
  const view = new DataView(encoded.buffer);
  leaves.forEach((leaf, i) => {
    const at = i * LEAF_BYTES;
    encoded.set(getBytesOf(leaf.wallet, 20), at + 12);
    view.setUint16(at + 62, leaf.score);
    view.setBigUint64(at + 88, leaf.pd);
    encoded.set(getBytesOf(leaf.featuresHash, 32), at + 96);
  });
  return { count: leaves.length, encoded };
}

function getBytesOf(hex: string, length: number): Uint8Array {
  const bytes = getBytes(hex);
  if (bytes.length !== length) throw new Error(`expected ${length} bytes, got ${hex}`);
  return bytes;
}

export interface FastScoreTree {
  root: string;
  /** The proof of the `i`-th leaf given to the builder. */
  proof(i: number): string[];
}

/** -1, 0 or 1 as the 32-byte words at `a` and `b` of `bytes` compare (big-endian, as OpenZeppelin sorts them). */
function compareNodes(bytes: Uint8Array, a: number, b: number): number {
  for (let k = 0; k < 32; k++) {
    const d = bytes[a + k]! - bytes[b + k]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/**
 * The tree `StandardMerkleTree.of(leaves, ['address', 'uint256', 'uint256', 'bytes32'])` builds: leaves are
 * keccak256(keccak256(encoding)), sorted; the tree is a heap of 2n - 1 nodes with the sorted leaves at the end in
 * reverse order, each parent the keccak256 of its children's concatenation in ascending order.
 */
export function buildFastScoreTree(leaves: PackedLeaves): FastScoreTree {
  const n = leaves.count;
  if (n === 0) throw new Error('a tree needs at least one leaf');
  const hashes = new Uint8Array(n * 32);
  for (let i = 0; i < n; i++) {
    keccak256Into(leaves.encoded, i * LEAF_BYTES, LEAF_BYTES, hashes, i * 32);
    keccak256Into(hashes, i * 32, 32, hashes, i * 32);
  }
  const order = new Uint32Array(n).map((_, i) => i);
  order.sort((a, b) => compareNodes(hashes, a * 32, b * 32) || a - b);
  const size = 2 * n - 1;
  const nodes = new Uint8Array(size * 32);
  const position = new Uint32Array(n);
  order.forEach((leaf, rank) => {
    position[leaf] = size - 1 - rank;
    nodes.set(hashes.subarray(leaf * 32, leaf * 32 + 32), (size - 1 - rank) * 32);
  });
  const pair = new Uint8Array(64);
  for (let i = size - 1 - n; i >= 0; i--) {
    const [left, right] = [(2 * i + 1) * 32, (2 * i + 2) * 32];
    const [low, high] = compareNodes(nodes, left, right) <= 0 ? [left, right] : [right, left];
    pair.set(nodes.subarray(low, low + 32), 0);
    pair.set(nodes.subarray(high, high + 32), 32);
    keccak256Into(pair, 0, 64, nodes, i * 32);
  }
  return {
    root: hexlify(nodes.subarray(0, 32)),
    proof(i) {
      if (!(i >= 0 && i < n)) throw new Error(`no leaf ${i} in a tree of ${n}`);
      const proof: string[] = [];
      for (let at = position[i]!; at > 0; at = (at - 1) >> 1) {
        const sibling = at % 2 === 1 ? at + 1 : at - 1;
        proof.push(hexlify(nodes.subarray(sibling * 32, sibling * 32 + 32)));
      }
      return proof;
    },
  };
}
