// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IRiskOracle} from "./IRiskOracle.sol";

/// @notice The one Aave V3 PoolConfigurator function the steward calls.
interface IPoolConfiguratorCollateral {
    function configureReserveAsCollateral(address asset, uint256 ltv, uint256 liquidationThreshold, uint256 liquidationBonus) external;
}

/// @title IRiskSteward
/// @notice Holds Aave's RISK_ADMIN role (granted by governance through the ACLManager) and applies RiskOracle's
/// latest parameters to the real PoolConfigurator. (`apply` is a reserved word in Solidity, hence `applyParameters`.)
interface IRiskSteward {
    error RiskStewardPaused();
    error RiskStewardNothingToApply(address asset, uint64 round, uint64 appliedRound);
    error RiskStewardStale(address asset, uint256 age, uint256 maxAge);

    /// @notice Emitted when an oracle round is applied to Aave.
    event ParametersApplied(address indexed asset, uint64 indexed round, uint64 previousRound, uint16 ltv, uint16 liquidationThreshold, uint16 liquidationBonus);
    /// @notice Emitted when the DAO changes the maximum age.
    event MaxAgeSet(uint256 oldMaxAge, uint256 maxAge);

    /// @notice Anyone: applies the asset's latest oracle round to Aave.
    /// @dev Reverts when the oracle is paused, the round was already applied, or it is older than `maxAge` seconds.
    function applyParameters(address asset) external;

    /// @notice DAO only: the oldest round (in seconds) that may still be applied.
    function setMaxAge(uint256 newMaxAge) external;

    function oracle() external view returns (IRiskOracle);
    function configurator() external view returns (IPoolConfiguratorCollateral);
    function maxAge() external view returns (uint256);

    /// @notice The last round applied for `asset` (0 when none).
    function appliedRound(address asset) external view returns (uint64);
}
