// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IRiskOracle} from "../interfaces/IRiskOracle.sol";

/// @title AssetSlot
/// @notice One storage word per asset holding both its parameters in force and the DAO's bounds, so the hot path
/// (`publish`) reads one cold slot and writes it back once.
/// @dev Layout, low bits first:
///   [0,16) ltv · [16,32) liquidationThreshold · [32,48) liquidationBonus · [48,96) round · [96,128) updatedAt
///   [128,142) minLtv · [142,156) maxLtv · [156,170) minLiquidationThreshold · [170,184) maxLiquidationThreshold
///   [184,200) minLiquidationBonus · [200,216) maxLiquidationBonus · [216,232) maxChangeBps · [232,256) minDelay
library AssetSlot {
    uint256 internal constant STATE_BITS = 128;
    uint256 internal constant STATE_MASK = (1 << STATE_BITS) - 1;
    uint256 internal constant MAX_ROUND = (1 << 48) - 1;
    uint256 internal constant MAX_BPS_14 = (1 << 14) - 1;
    uint256 internal constant MAX_MIN_DELAY = (1 << 24) - 1;

    function _field(uint256 word, uint256 offset, uint256 bits) private pure returns (uint256) {
        return (word >> offset) & ((1 << bits) - 1);
    }

    function ltv(uint256 word) internal pure returns (uint16) {
        return uint16(word);
    }

    function liquidationThreshold(uint256 word) internal pure returns (uint16) {
        return uint16(word >> 16);
    }

    function liquidationBonus(uint256 word) internal pure returns (uint16) {
        return uint16(word >> 32);
    }

    function round(uint256 word) internal pure returns (uint64) {
        return uint64(_field(word, 48, 48));
    }

    function updatedAt(uint256 word) internal pure returns (uint32) {
        return uint32(word >> 96);
    }

    /// @notice The word with new parameters in force (bounds kept). `round_` must be ≤ MAX_ROUND.
    function withState(uint256 word, uint16 ltv_, uint16 lt, uint16 bonus, uint64 round_, uint256 timestamp) internal pure returns (uint256) {
        return (word & ~STATE_MASK) | uint256(ltv_) | (uint256(lt) << 16) | (uint256(bonus) << 32) | (uint256(round_) << 48)
            | (uint256(uint32(timestamp)) << 96);
    }

    function state(uint256 word) internal pure returns (IRiskOracle.AssetState memory s) {
        s = IRiskOracle.AssetState(ltv(word), liquidationThreshold(word), liquidationBonus(word), round(word), updatedAt(word));
    }

    /// @notice The bounds part of the word (zero when the DAO never set any).
    function bounds(uint256 word) internal pure returns (IRiskOracle.Bounds memory b) {
        b.minLtv = uint16(_field(word, 128, 14));
        b.maxLtv = uint16(_field(word, 142, 14));
        b.minLiquidationThreshold = uint16(_field(word, 156, 14));
        b.maxLiquidationThreshold = uint16(_field(word, 170, 14));
        b.minLiquidationBonus = uint16(word >> 184);
        b.maxLiquidationBonus = uint16(word >> 200);
        b.maxChangeBps = uint16(word >> 216);
        b.minDelay = uint32(word >> 232);
    }

    /// @notice The word with new bounds (state kept). Callers validate the ranges first (ltv/threshold ≤ 10000).
    function withBounds(uint256 word, IRiskOracle.Bounds calldata b) internal pure returns (uint256) {
        return (word & STATE_MASK) | (uint256(b.minLtv) << 128) | (uint256(b.maxLtv) << 142)
            | (uint256(b.minLiquidationThreshold) << 156) | (uint256(b.maxLiquidationThreshold) << 170)
            | (uint256(b.minLiquidationBonus) << 184) | (uint256(b.maxLiquidationBonus) << 200) | (uint256(b.maxChangeBps) << 216)
            | (uint256(b.minDelay) << 232);
    }
}
