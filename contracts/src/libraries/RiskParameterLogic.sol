// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IRiskOracle} from "../interfaces/IRiskOracle.sol";
import {AssetSlot} from "./AssetSlot.sol";

/// @title RiskParameterLogic
/// @notice Pure validation of a parameter update against the DAO's bounds, the step limit, the delay and the
/// invariants Aave V3's PoolConfigurator enforces, so nothing the oracle accepts is refused by Aave.
library RiskParameterLogic {
    uint256 internal constant PERCENTAGE_FACTOR = 1e4;
    uint256 internal constant HALF_PERCENTAGE_FACTOR = 0.5e4;

    uint8 internal constant LTV = 0;
    uint8 internal constant LIQUIDATION_THRESHOLD = 1;
    uint8 internal constant LIQUIDATION_BONUS = 2;

    /// @dev Aave's PercentageMath.percentMul: half-up rounding.
    function percentMul(uint256 value, uint256 percentage) internal pure returns (uint256) {
        return (value * percentage + HALF_PERCENTAGE_FACTOR) / PERCENTAGE_FACTOR;
    }

    /// @notice Aave's joint rules (ConfiguratorLogic / PoolConfigurator.configureReserveAsCollateral), together.
    function validateInvariants(uint16 ltv, uint16 lt, uint16 bonus) internal pure {
        // a position must not be borrowable beyond the point where it is liquidatable
        if (ltv > lt) revert IRiskOracle.RiskOracleLtvAboveThreshold(ltv, lt);
        if (lt != 0) {
            // liquidators must earn something, or nobody liquidates
            if (bonus <= PERCENTAGE_FACTOR) revert IRiskOracle.RiskOracleBonusTooLow(bonus);
            // seizing debt × bonus must stay within the collateral at the threshold, or liquidation creates bad debt
            if (percentMul(lt, bonus) > PERCENTAGE_FACTOR) revert IRiskOracle.RiskOracleThresholdTimesBonusAbove100(lt, bonus);
        } else if (bonus != 0) {
            // a non-collateral asset carries no bonus
            revert IRiskOracle.RiskOracleBonusWithoutThreshold(bonus);
        }
    }

    function _within(address asset, uint8 parameter, uint16 value, uint16 min, uint16 max) private pure {
        if (value < min || value > max) revert IRiskOracle.RiskOracleOutOfBounds(asset, parameter, value, min, max);
    }

    function _step(address asset, uint8 parameter, uint16 from, uint16 to, uint16 maxChange) private pure {
        uint16 change = to > from ? to - from : from - to;
        if (change > maxChange) revert IRiskOracle.RiskOracleStepTooLarge(asset, parameter, from, to, maxChange);
    }

    /// @notice Bounds, step limit and delay against the state in force (the first update skips step and delay).
    /// @param word The asset's packed slot (see {AssetSlot}): its state in force and the DAO's bounds.
    function validateUpdate(IRiskOracle.ParameterUpdate memory u, uint256 word, uint256 timestamp) internal pure {
        IRiskOracle.Bounds memory b = AssetSlot.bounds(word);
        if (b.maxLiquidationThreshold == 0 && b.maxLtv == 0) revert IRiskOracle.RiskOracleAssetNotConfigured(u.asset);
        _within(u.asset, LTV, u.ltv, b.minLtv, b.maxLtv);
        _within(u.asset, LIQUIDATION_THRESHOLD, u.liquidationThreshold, b.minLiquidationThreshold, b.maxLiquidationThreshold);
        _within(u.asset, LIQUIDATION_BONUS, u.liquidationBonus, b.minLiquidationBonus, b.maxLiquidationBonus);
        uint256 updatedAt = AssetSlot.updatedAt(word);
        if (updatedAt != 0) {
            uint256 elapsed = timestamp - updatedAt;
            if (elapsed < b.minDelay) revert IRiskOracle.RiskOracleTooSoon(u.asset, elapsed, b.minDelay);
            _step(u.asset, LTV, AssetSlot.ltv(word), u.ltv, b.maxChangeBps);
            _step(u.asset, LIQUIDATION_THRESHOLD, AssetSlot.liquidationThreshold(word), u.liquidationThreshold, b.maxChangeBps);
            _step(u.asset, LIQUIDATION_BONUS, AssetSlot.liquidationBonus(word), u.liquidationBonus, b.maxChangeBps);
        }
        validateInvariants(u.ltv, u.liquidationThreshold, u.liquidationBonus);
    }

    /// @notice Bounds the DAO sets must be coherent (min ≤ max for each parameter, ltv ≤ threshold ≤ 100 %) and fit
    /// the packed slot (minDelay < 2^24 s).
    function validateBounds(address asset, IRiskOracle.Bounds calldata b) internal pure {
        if (
            b.minLtv > b.maxLtv || b.minLiquidationThreshold > b.maxLiquidationThreshold || b.minLiquidationBonus > b.maxLiquidationBonus
                || b.maxLiquidationThreshold > PERCENTAGE_FACTOR || b.maxLtv > b.maxLiquidationThreshold || b.minDelay > AssetSlot.MAX_MIN_DELAY
        ) revert IRiskOracle.RiskOracleInvalidBounds(asset);
    }
}
