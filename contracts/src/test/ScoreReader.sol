// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CreditScoreRegistry} from "../CreditScoreRegistry.sol";

/// @notice Measures `scoreOf` as a consuming contract pays for it (the gas benchmark).
contract ScoreReader {
    function gasOfScoreOf(CreditScoreRegistry registry, address wallet) external view returns (uint256 used) {
        uint256 before = gasleft();
        registry.scoreOf(wallet);
        used = before - gasleft();
    }
}
