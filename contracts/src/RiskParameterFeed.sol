// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IRiskOracle} from "./interfaces/IRiskOracle.sol";
import {IRiskParameterFeed} from "./interfaces/IRiskParameterFeed.sol";

/// @title RiskParameterFeed
/// @notice One (asset, parameter) of RiskOracle as a Chainlink feed, so any dashboard or protocol that reads
/// `AggregatorV3Interface` reads the oracle: the answer is the parameter in bps (4 decimals: 8000 = 0.8000), the
/// round id is the oracle's round, and `updatedAt` its publication time. Only the latest round is served.
contract RiskParameterFeed is IRiskParameterFeed {
    IRiskOracle public immutable oracle;
    address public immutable asset;
    Parameter public immutable parameter;
    string private _description;

    constructor(IRiskOracle oracle_, address asset_, Parameter parameter_, string memory description_) {
        oracle = oracle_;
        asset = asset_;
        parameter = parameter_;
        _description = description_;
    }

    function decimals() external pure returns (uint8) {
        return 4;
    }

    function description() external view returns (string memory) {
        return _description;
    }

    function version() external pure returns (uint256) {
        return 1;
    }

    function _latest() private view returns (uint80 roundId, int256 answer, uint256 updatedAt) {
        IRiskOracle.AssetState memory s = oracle.latest(asset);
        if (s.round == 0) revert RiskParameterFeedNoData(asset);
        uint16 value = parameter == Parameter.Ltv ? s.ltv : parameter == Parameter.LiquidationThreshold ? s.liquidationThreshold : s.liquidationBonus;
        return (uint80(s.round), int256(uint256(value)), s.updatedAt);
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        (uint80 roundId, int256 answer, uint256 updatedAt) = _latest();
        return (roundId, answer, updatedAt, updatedAt, roundId);
    }

    /// @dev History lives in RiskOracle's events; only the latest round is answered here, any other reverts clearly.
    function getRoundData(uint80 requested) external view returns (uint80, int256, uint256, uint256, uint80) {
        (uint80 roundId, int256 answer, uint256 updatedAt) = _latest();
        if (requested != roundId) revert RiskParameterFeedUnknownRound(requested, roundId);
        return (roundId, answer, updatedAt, updatedAt, roundId);
    }
}

/// @title RiskParameterFeedFactory
/// @notice Creates the three feeds of an asset (ltv, liquidation threshold, liquidation bonus).
contract RiskParameterFeedFactory {
    /// @notice Emitted for each feed created.
    event FeedCreated(address indexed asset, IRiskParameterFeed.Parameter indexed parameter, address feed);

    IRiskOracle public immutable oracle;
    mapping(address asset => mapping(IRiskParameterFeed.Parameter => address)) public feedOf;

    constructor(IRiskOracle oracle_) {
        oracle = oracle_;
    }

    /// @notice Creates (once) the asset's three feeds, named "<symbol> LTV" etc.
    function createFeeds(address asset, string calldata symbol) external returns (address ltv, address threshold, address bonus) {
        ltv = _create(asset, IRiskParameterFeed.Parameter.Ltv, string.concat(symbol, " LTV (bps)"));
        threshold = _create(asset, IRiskParameterFeed.Parameter.LiquidationThreshold, string.concat(symbol, " liquidation threshold (bps)"));
        bonus = _create(asset, IRiskParameterFeed.Parameter.LiquidationBonus, string.concat(symbol, " liquidation bonus (10000 + bps)"));
    }

    function _create(address asset, IRiskParameterFeed.Parameter parameter, string memory name) private returns (address feed) {
        feed = feedOf[asset][parameter];
        if (feed != address(0)) return feed;
        feed = address(new RiskParameterFeed(oracle, asset, parameter, name));
        feedOf[asset][parameter] = feed;
        emit FeedCreated(asset, parameter, feed);
    }
}
