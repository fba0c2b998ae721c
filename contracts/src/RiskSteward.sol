// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IRiskOracle} from "./interfaces/IRiskOracle.sol";
import {IPoolAddressesProviderLookup, IPoolConfiguratorCollateral, IPoolReserveConfiguration, IRiskSteward} from "./interfaces/IRiskSteward.sol";

/// @title RiskSteward
/// @notice See {IRiskSteward}. Owned by the DAO's timelock; RiskOracle's guardian may fall back.
/// @dev The applied round and the parameters it replaced share one slot per asset, so recording them costs no
/// extra storage write on the apply path.
contract RiskSteward is IRiskSteward, Ownable {
    /// @dev Aave's ReserveConfiguration layout: three 16-bit fields from bit 0.
    uint256 private constant FIELD = 0xFFFF;

    struct AssetRecord {
        /// @dev The last oracle round Aave is in step with: applied, or recorded by a fall-back.
        uint64 appliedRound;
        /// @dev The applied round a fall-back would undo (0: none), and the parameters Aave had before it.
        uint64 restorableRound;
        uint16 ltv;
        uint16 liquidationThreshold;
        uint16 liquidationBonus;
    }

    /// @inheritdoc IRiskSteward
    IRiskOracle public immutable oracle;
    /// @inheritdoc IRiskSteward
    IPoolConfiguratorCollateral public immutable configurator;
    /// @inheritdoc IRiskSteward
    IPoolReserveConfiguration public immutable pool;
    /// @inheritdoc IRiskSteward
    uint256 public maxAge;

    mapping(address asset => AssetRecord) private _records;

    /// @dev The Pool and the PoolConfigurator both come from the market's addresses provider, so they cannot belong
    /// to different markets (the configurator does not expose its provider).
    constructor(address dao, IRiskOracle oracle_, IPoolAddressesProviderLookup addressesProvider, uint256 maxAge_) Ownable(dao) {
        oracle = oracle_;
        configurator = IPoolConfiguratorCollateral(addressesProvider.getPoolConfigurator());
        pool = IPoolReserveConfiguration(addressesProvider.getPool());
        maxAge = maxAge_;
        emit MaxAgeSet(0, maxAge_);
    }

    /// @inheritdoc IRiskSteward
    function applyParameters(address asset) external {
        // checks
        if (oracle.paused()) revert RiskStewardPaused();
        IRiskOracle.AssetState memory s = oracle.latest(asset);
        uint64 applied = _records[asset].appliedRound;
        if (s.round <= applied) revert RiskStewardNothingToApply(asset, s.round, applied);
        uint256 age = block.timestamp - s.updatedAt;
        if (age > maxAge) revert RiskStewardStale(asset, age, maxAge);
        // what Aave has now is what a fall-back would put back (a view call: no state of ours changes before it)
        (uint16 ltv, uint16 lt, uint16 bonus) = _aaveParameters(asset);
        // effects
        _records[asset] = AssetRecord({appliedRound: s.round, restorableRound: s.round, ltv: ltv, liquidationThreshold: lt, liquidationBonus: bonus});
        emit ParametersApplied(asset, s.round, applied, s.ltv, s.liquidationThreshold, s.liquidationBonus);
        // interaction: Aave's own checks run again here; RiskOracle mirrors them, so they pass
        configurator.configureReserveAsCollateral(asset, s.ltv, s.liquidationThreshold, s.liquidationBonus);
    }

    /// @inheritdoc IRiskSteward
    function fallBack(address asset) external {
        // checks
        if (msg.sender != oracle.guardian() && msg.sender != owner()) revert RiskStewardNotGuardian(msg.sender);
        if (!oracle.paused()) revert RiskStewardNotPaused();
        AssetRecord memory r = _records[asset];
        uint64 latestRound = oracle.latest(asset).round;
        // the oracle records the fall-back in the round above its latest (see IRiskOracle.recordFallBack); Aave is in
        // step with that round, so it is never applied and the next signed one is
        uint64 recorded = latestRound + 1;
        if (latestRound > r.appliedRound) {
            // a published round the steward never applied: Aave keeps what it has, the oracle takes it back
            (uint16 ltv, uint16 lt, uint16 bonus) = _aaveParameters(asset);
            // effects: only the applied round moves; an applied round before it stays restorable (a second call)
            _records[asset].appliedRound = recorded;
            emit RoundSkipped(asset, latestRound, ltv, lt, bonus, msg.sender);
            // interaction: our own oracle (immutable)
            oracle.recordFallBack(asset, ltv, lt, bonus);
            return;
        }
        if (r.restorableRound == 0) revert RiskStewardNothingToRestore(asset);
        // effects: forget the parameters (one step back); the undone round is behind the recorded one, never re-applied
        _records[asset] = AssetRecord({appliedRound: recorded, restorableRound: 0, ltv: 0, liquidationThreshold: 0, liquidationBonus: 0});
        emit ParametersRestored(asset, r.restorableRound, r.ltv, r.liquidationThreshold, r.liquidationBonus, msg.sender);
        // interactions: the values came from Aave itself, so its checks pass (unless a threshold of 0 meets
        // suppliers); then the oracle holds what Aave got back, so feeds and the next round's step limit start there
        configurator.configureReserveAsCollateral(asset, r.ltv, r.liquidationThreshold, r.liquidationBonus);
        oracle.recordFallBack(asset, r.ltv, r.liquidationThreshold, r.liquidationBonus);
    }

    /// @dev Aave's collateral parameters for `asset` now (a view call).
    function _aaveParameters(address asset) private view returns (uint16 ltv, uint16 liquidationThreshold, uint16 liquidationBonus) {
        uint256 config = pool.getConfiguration(asset).data;
        return (uint16(config & FIELD), uint16((config >> 16) & FIELD), uint16((config >> 32) & FIELD));
    }

    /// @inheritdoc IRiskSteward
    function setMaxAge(uint256 newMaxAge) external onlyOwner {
        uint256 old = maxAge;
        maxAge = newMaxAge;
        emit MaxAgeSet(old, newMaxAge);
    }

    /// @inheritdoc IRiskSteward
    function appliedRound(address asset) external view returns (uint64) {
        return _records[asset].appliedRound;
    }

    /// @inheritdoc IRiskSteward
    function previous(address asset) external view returns (Previous memory) {
        AssetRecord memory r = _records[asset];
        // the fields are zero whenever nothing is restorable (never recorded, or cleared by a fall-back)
        return Previous({
            round: r.restorableRound,
            ltv: r.ltv,
            liquidationThreshold: r.liquidationThreshold,
            liquidationBonus: r.liquidationBonus
        });
    }
}
