// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ICreditScoreRegistry} from "../interfaces/ICreditScoreRegistry.sol";

/// @notice Measures `scoreOf` as a consuming contract pays for it (the gas benchmark): a cold call and its decoding.
contract ScoreReader {
    function gasOfScoreOf(ICreditScoreRegistry registry, address wallet) external view returns (uint256 used) {
        uint256 before = gasleft();
        registry.scoreOf(wallet);
        used = before - gasleft();
    }
}
