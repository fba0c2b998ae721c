// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IRiskOracle} from "./IRiskOracle.sol";

/// @notice The one Aave V3 PoolConfigurator function the steward calls.
interface IPoolConfiguratorCollateral {
    function configureReserveAsCollateral(address asset, uint256 ltv, uint256 liquidationThreshold, uint256 liquidationBonus) external;
}

/// @notice The one Aave V3 Pool function the steward reads: a reserve's configuration bitmap.
interface IPoolReserveConfiguration {
    /// @dev Aave's `DataTypes.ReserveConfigurationMap`; bits 0-15 LTV, 16-31 liquidation threshold, 32-47 bonus.
    struct ReserveConfigurationMap {
        uint256 data;
    }

    function getConfiguration(address asset) external view returns (ReserveConfigurationMap memory);
}

/// @notice Where the steward finds the market's Pool and PoolConfigurator (Aave V3's PoolAddressesProvider).
interface IPoolAddressesProviderLookup {
    function getPool() external view returns (address);
    function getPoolConfigurator() external view returns (address);
}

/// @title IRiskSteward
/// @notice Holds Aave's RISK_ADMIN role (granted by governance through the ACLManager) and applies RiskOracle's
/// latest parameters to the real PoolConfigurator. (`apply` is a reserved word in Solidity, hence `applyParameters`.)
/// Before each round it records what Aave had, so that while the oracle is paused its guardian (or the DAO) can fall
/// back: skip a published round not yet applied, or put back what Aave had before the last applied one. Either way
/// RiskOracle then records what Aave has (see {IRiskOracle-recordFallBack}).
interface IRiskSteward {
    /// @notice Aave's collateral parameters for an asset just before the steward applied `round` (Aave units).
    /// @dev `round` is the round applied over these parameters, the one a fall-back undoes; 0: nothing to restore.
    struct Previous {
        uint64 round;
        uint16 ltv;
        uint16 liquidationThreshold;
        uint16 liquidationBonus;
    }

    error RiskStewardPaused();
    error RiskStewardNothingToApply(address asset, uint64 round, uint64 appliedRound);
    error RiskStewardStale(address asset, uint256 age, uint256 maxAge);
    error RiskStewardNotGuardian(address caller);
    error RiskStewardNotPaused();
    error RiskStewardNothingToRestore(address asset);

    /// @notice Emitted when an oracle round is applied to Aave.
    event ParametersApplied(address indexed asset, uint64 indexed round, uint64 previousRound, uint16 ltv, uint16 liquidationThreshold, uint16 liquidationBonus);
    /// @notice Emitted when a fall-back puts back the parameters Aave had before `round` was applied.
    event ParametersRestored(address indexed asset, uint64 indexed round, uint16 ltv, uint16 liquidationThreshold, uint16 liquidationBonus, address by);
    /// @notice Emitted when a fall-back skipped `round`, published but never applied: Aave kept its parameters (given).
    event RoundSkipped(address indexed asset, uint64 indexed round, uint16 ltv, uint16 liquidationThreshold, uint16 liquidationBonus, address by);
    /// @notice Emitted when the DAO changes the maximum age.
    event MaxAgeSet(uint256 oldMaxAge, uint256 maxAge);

    /// @notice Anyone: applies the asset's latest oracle round to Aave, first recording what Aave has now (see {previous}).
    /// @dev Reverts when the oracle is paused, the round was already applied, or it is older than `maxAge` seconds.
    function applyParameters(address asset) external;

    /// @notice The oracle's guardian or the DAO, while the oracle is paused, one step per call:
    /// - when RiskOracle's latest round for `asset` is newer than the applied one (published, not yet applied), skips
    ///   it: Aave is left as it is, and RiskOracle records Aave's parameters in a new round (`RoundSkipped`);
    /// - otherwise gives Aave back the parameters it had before the last applied round, forgets them (not
    ///   repeatable) and RiskOracle records them in a new round (`ParametersRestored`).
    /// With both a bad unapplied round and a bad applied one, a first call skips the former and a second call undoes
    /// the latter. Either way `appliedRound` becomes RiskOracle's new round, so neither the skipped nor the undone
    /// round can be applied again (nor re-published: its number is behind), and the next signed round applies
    /// normally, step-limited from what Aave has.
    /// @dev Reverts with `RiskStewardNotGuardian`, `RiskStewardNotPaused` or `RiskStewardNothingToRestore`; RiskOracle
    /// must name this contract its steward (`RiskOracleNotSteward` otherwise).
    function fallBack(address asset) external;

    /// @notice DAO only: the oldest round (in seconds) that may still be applied.
    function setMaxAge(uint256 newMaxAge) external;

    function oracle() external view returns (IRiskOracle);
    function configurator() external view returns (IPoolConfiguratorCollateral);
    /// @notice The Aave Pool whose reserve configuration the steward records before each round.
    function pool() external view returns (IPoolReserveConfiguration);
    function maxAge() external view returns (uint256);

    /// @notice The last RiskOracle round Aave is in step with for `asset`: applied, or recorded by a fall-back (0: none).
    function appliedRound(address asset) external view returns (uint64);

    /// @notice What a fall-back would restore for `asset` (`round` 0 when nothing).
    function previous(address asset) external view returns (Previous memory);
}
