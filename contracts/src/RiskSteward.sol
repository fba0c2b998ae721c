// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IRiskOracle} from "./interfaces/IRiskOracle.sol";

/// @notice The one PoolConfigurator function the steward calls (Aave V3).
interface IPoolConfiguratorCollateral {
    function configureReserveAsCollateral(address asset, uint256 ltv, uint256 liquidationThreshold, uint256 liquidationBonus) external;
}

/// @title RiskSteward
/// @notice Holds Aave's RISK_ADMIN role (granted by governance through the ACLManager) and applies the oracle's
/// latest parameters to the real PoolConfigurator. Anyone may call `applyParameters`; stale, paused or already-applied rounds
/// are refused. (`apply` is a reserved word in Solidity, hence `applyParameters`.)
contract RiskSteward is Ownable {
    error RiskStewardPaused();
    error RiskStewardNothingToApply(address asset, uint64 round, uint64 appliedRound);
    error RiskStewardStale(address asset, uint256 age, uint256 maxAge);

    /// @notice Emitted when an oracle round is applied to Aave.
    event Applied(address indexed asset, uint64 indexed round, uint16 ltv, uint16 liquidationThreshold, uint16 liquidationBonus);
    /// @notice Emitted when the DAO changes the maximum age.
    event MaxAgeSet(uint256 oldMaxAge, uint256 maxAge);

    IRiskOracle public immutable oracle;
    IPoolConfiguratorCollateral public immutable configurator;
    uint256 public maxAge;
    mapping(address asset => uint64) public appliedRound;

    constructor(address dao, IRiskOracle oracle_, IPoolConfiguratorCollateral configurator_, uint256 maxAge_) Ownable(dao) {
        oracle = oracle_;
        configurator = configurator_;
        maxAge = maxAge_;
        emit MaxAgeSet(0, maxAge_);
    }

    /// @notice Applies the asset's latest oracle round to Aave (checks, then effects, then the external call).
    function applyParameters(address asset) external {
        if (oracle.paused()) revert RiskStewardPaused();
        IRiskOracle.AssetState memory s = oracle.latest(asset);
        uint64 applied = appliedRound[asset];
        if (s.round <= applied) revert RiskStewardNothingToApply(asset, s.round, applied);
        uint256 age = block.timestamp - s.updatedAt;
        if (age > maxAge) revert RiskStewardStale(asset, age, maxAge);
        appliedRound[asset] = s.round;
        emit Applied(asset, s.round, s.ltv, s.liquidationThreshold, s.liquidationBonus);
        configurator.configureReserveAsCollateral(asset, s.ltv, s.liquidationThreshold, s.liquidationBonus);
    }

    /// @notice DAO only: the oldest round (in seconds) that may still be applied.
    function setMaxAge(uint256 newMaxAge) external onlyOwner {
        emit MaxAgeSet(maxAge, newMaxAge);
        maxAge = newMaxAge;
    }
}
