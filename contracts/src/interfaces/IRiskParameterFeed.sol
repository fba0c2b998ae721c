// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {IRiskOracle} from "./IRiskOracle.sol";

/// @title IRiskParameterFeed
/// @notice One (asset, parameter) of RiskOracle as a Chainlink `AggregatorV3Interface` feed: the answer is the
/// parameter in bps (4 decimals), the round id the oracle's round, `updatedAt` its publication time. Only the
/// latest round is served (history lives in RiskOracle's events); any other round reverts clearly.
interface IRiskParameterFeed is AggregatorV3Interface {
    enum Parameter {
        Ltv,
        LiquidationThreshold,
        LiquidationBonus
    }

    error RiskParameterFeedUnknownRound(uint80 roundId, uint80 latestRound);
    error RiskParameterFeedNoData(address asset);

    function oracle() external view returns (IRiskOracle);
    function asset() external view returns (address);
    function parameter() external view returns (Parameter);
}
