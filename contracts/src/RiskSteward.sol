// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IRiskOracle} from "./interfaces/IRiskOracle.sol";
import {IPoolConfiguratorCollateral, IRiskSteward} from "./interfaces/IRiskSteward.sol";

/// @title RiskSteward
/// @notice See {IRiskSteward}. Owned by the DAO's timelock.
contract RiskSteward is IRiskSteward, Ownable {
    /// @inheritdoc IRiskSteward
    IRiskOracle public immutable oracle;
    /// @inheritdoc IRiskSteward
    IPoolConfiguratorCollateral public immutable configurator;
    /// @inheritdoc IRiskSteward
    uint256 public maxAge;
    /// @inheritdoc IRiskSteward
    mapping(address asset => uint64) public appliedRound;

    constructor(address dao, IRiskOracle oracle_, IPoolConfiguratorCollateral configurator_, uint256 maxAge_) Ownable(dao) {
        oracle = oracle_;
        configurator = configurator_;
        maxAge = maxAge_;
        emit MaxAgeSet(0, maxAge_);
    }

    /// @inheritdoc IRiskSteward
    function applyParameters(address asset) external {
        // checks
        if (oracle.paused()) revert RiskStewardPaused();
        IRiskOracle.AssetState memory s = oracle.latest(asset);
        uint64 applied = appliedRound[asset];
        if (s.round <= applied) revert RiskStewardNothingToApply(asset, s.round, applied);
        uint256 age = block.timestamp - s.updatedAt;
        if (age > maxAge) revert RiskStewardStale(asset, age, maxAge);
        // effects
        appliedRound[asset] = s.round;
        emit ParametersApplied(asset, s.round, applied, s.ltv, s.liquidationThreshold, s.liquidationBonus);
        // interaction: Aave's own checks run again here; RiskOracle mirrors them, so they pass
        configurator.configureReserveAsCollateral(asset, s.ltv, s.liquidationThreshold, s.liquidationBonus);
    }

    /// @inheritdoc IRiskSteward
    function setMaxAge(uint256 newMaxAge) external onlyOwner {
        uint256 old = maxAge;
        maxAge = newMaxAge;
        emit MaxAgeSet(old, newMaxAge);
    }
}
