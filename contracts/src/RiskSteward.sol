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
        uint64 appliedRound;
        /// @dev Whether the parameters below (what Aave had before `appliedRound`) may still be restored.
        bool restorable;
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
        uint256 config = pool.getConfiguration(asset).data;
        // effects
        _records[asset] = AssetRecord({
            appliedRound: s.round,
            restorable: true,
            ltv: uint16(config & FIELD),
            liquidationThreshold: uint16((config >> 16) & FIELD),
            liquidationBonus: uint16((config >> 32) & FIELD)
        });
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
        if (!r.restorable) revert RiskStewardNothingToRestore(asset);
        // effects: forget the parameters (one step back); appliedRound stays so the undone round is never re-applied
        _records[asset] = AssetRecord({appliedRound: r.appliedRound, restorable: false, ltv: 0, liquidationThreshold: 0, liquidationBonus: 0});
        emit ParametersRestored(asset, r.appliedRound, r.ltv, r.liquidationThreshold, r.liquidationBonus, msg.sender);
        // interaction: the values came from Aave itself, so its checks pass (unless a threshold of 0 meets suppliers)
        configurator.configureReserveAsCollateral(asset, r.ltv, r.liquidationThreshold, r.liquidationBonus);
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
            round: r.restorable ? r.appliedRound : 0,
            ltv: r.ltv,
            liquidationThreshold: r.liquidationThreshold,
            liquidationBonus: r.liquidationBonus
        });
    }
}
