// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title SettableAggregator
/// @notice A Chainlink-style price feed the simulation moves: AggregatorV3Interface plus `latestAnswer` (which
/// AaveOracle reads), emitting Chainlink's `AnswerUpdated` so the indexer sees every price.
contract SettableAggregator is AggregatorV3Interface, Ownable {
    /// @notice Chainlink's event for a new answer.
    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);

    error SettableAggregatorUnknownRound(uint80 roundId);

    string public override description;
    int256 public latestAnswer;
    uint80 private _round;
    uint256 private _updatedAt;

    constructor(string memory description_, int256 initialAnswer) Ownable(msg.sender) {
        description = description_;
        _set(initialAnswer);
    }

    /// @notice Owner only: a new price, 8 decimals.
    function setAnswer(int256 answer) external onlyOwner {
        _set(answer);
    }

    function _set(int256 answer) private {
        latestAnswer = answer;
        _round += 1;
        _updatedAt = block.timestamp;
        emit AnswerUpdated(answer, _round, block.timestamp);
    }

    function decimals() external pure override returns (uint8) {
        return 8;
    }

    function version() external pure override returns (uint256) {
        return 1;
    }

    function getRoundData(uint80 roundId) external view override returns (uint80, int256, uint256, uint256, uint80) {
        if (roundId != _round) revert SettableAggregatorUnknownRound(roundId);
        return (_round, latestAnswer, _updatedAt, _updatedAt, _round);
    }

    function latestRoundData() external view override returns (uint80, int256, uint256, uint256, uint80) {
        return (_round, latestAnswer, _updatedAt, _updatedAt, _round);
    }
}
