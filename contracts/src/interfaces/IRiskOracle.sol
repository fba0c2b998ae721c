// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IRiskOracle
/// @notice Collateral parameters per asset, in Aave V3 units, published by k-of-n signers under DAO-set bounds.
/// @dev Units: basis points (8000 = 80 %); the liquidation bonus as 10000 + bonus (10500 = 5 % bonus).
interface IRiskOracle {
    /// @notice One asset's parameters for one round, as signed (EIP-712 `ParameterUpdate`).
    struct ParameterUpdate {
        address asset;
        uint16 ltv;
        uint16 liquidationThreshold;
        uint16 liquidationBonus;
        uint64 round;
        uint64 validUntil;
        bytes32 modelId;
        bytes32 inputsRoot;
    }

    /// @notice An ECDSA signature; signatures are passed sorted by recovered signer address, ascending.
    struct Signature {
        uint8 v;
        bytes32 r;
        bytes32 s;
    }

    /// @notice The parameters in force for an asset (stored packed with its bounds in one slot; round < 2^48).
    struct AssetState {
        uint16 ltv;
        uint16 liquidationThreshold;
        uint16 liquidationBonus;
        uint64 round;
        uint40 updatedAt;
    }

    /// @notice DAO-set limits for an asset. An asset without bounds cannot be published. Stored packed beside the
    /// asset's state: ltv and threshold bounds ≤ 10000, `minDelay` < 2^24 seconds (about 194 days).
    struct Bounds {
        uint16 minLtv;
        uint16 maxLtv;
        uint16 minLiquidationThreshold;
        uint16 maxLiquidationThreshold;
        uint16 minLiquidationBonus;
        uint16 maxLiquidationBonus;
        /// @dev Largest absolute change of any one parameter per update, in bps.
        uint16 maxChangeBps;
        /// @dev Seconds that must pass between two updates of the asset.
        uint32 minDelay;
    }

    error RiskOraclePaused();
    error RiskOracleNotGuardian(address caller);
    error RiskOracleEmptyBatch();
    error RiskOracleExpired(uint64 validUntil, uint256 timestamp);
    error RiskOracleStaleRound(address asset, uint64 round, uint64 currentRound);
    error RiskOracleRoundTooLarge(address asset, uint64 round, uint64 maxRound);
    error RiskOracleInvalidSignature(uint256 index);
    error RiskOracleSignerNotAuthorized(address signer);
    error RiskOracleSignersNotSorted(uint256 index);
    error RiskOracleThresholdNotMet(uint256 signers, uint256 threshold);
    error RiskOracleAssetNotConfigured(address asset);
    error RiskOracleOutOfBounds(address asset, uint8 parameter, uint16 value, uint16 min, uint16 max);
    error RiskOracleStepTooLarge(address asset, uint8 parameter, uint16 from, uint16 to, uint16 maxChangeBps);
    error RiskOracleTooSoon(address asset, uint256 elapsed, uint32 minDelay);
    error RiskOracleLtvAboveThreshold(uint16 ltv, uint16 liquidationThreshold);
    error RiskOracleThresholdTimesBonusAbove100(uint16 liquidationThreshold, uint16 liquidationBonus);
    error RiskOracleBonusTooLow(uint16 liquidationBonus);
    error RiskOracleBonusWithoutThreshold(uint16 liquidationBonus);
    error RiskOracleInvalidBounds(address asset);
    error RiskOracleInvalidSignerSet(uint256 signers, uint256 threshold);
    error RiskOracleNotSteward(address caller);
    error RiskOracleNotPaused();

    /// @notice Emitted when an asset's parameters change.
    event ParametersUpdated(
        address indexed asset,
        uint64 indexed round,
        uint16 oldLtv,
        uint16 oldLiquidationThreshold,
        uint16 oldLiquidationBonus,
        uint16 ltv,
        uint16 liquidationThreshold,
        uint16 liquidationBonus,
        bytes32 modelId,
        bytes32 inputsRoot
    );
    /// @notice Emitted when the DAO sets an asset's bounds.
    event BoundsSet(address indexed asset, Bounds oldBounds, Bounds bounds);
    /// @notice Emitted when the DAO replaces the signer set.
    event SignersSet(address[] oldSigners, uint8 oldThreshold, address[] signers, uint8 threshold);
    /// @notice Emitted when the DAO sets the guardian.
    event GuardianSet(address oldGuardian, address guardian);
    /// @notice Emitted when the DAO sets the steward (the one contract that may record a fall-back).
    event StewardSet(address oldSteward, address steward);
    /// @notice Emitted when the steward recorded a guardian's fall-back: `round` (one above the previous round) holds
    /// the parameters Aave has after it, unsigned, with a zero model id and inputs root.
    event FallBackRecorded(
        address indexed asset,
        uint64 indexed round,
        uint16 oldLtv,
        uint16 oldLiquidationThreshold,
        uint16 oldLiquidationBonus,
        uint16 ltv,
        uint16 liquidationThreshold,
        uint16 liquidationBonus,
        address steward
    );
    /// @notice Emitted when the guardian (or the DAO) pauses publishing.
    event Paused(address by);
    /// @notice Emitted when the DAO resumes publishing.
    event Unpaused(address by);

    /// @notice Publishes one asset's parameters with at least `threshold` signatures of the EIP-712 `ParameterUpdate`.
    /// @dev Reverts unless: not paused, not expired, round above the asset's current one, enough distinct authorised
    /// signers (sorted ascending), within the bounds, the step limit and the minimum delay, and Aave's invariants hold.
    function publish(ParameterUpdate calldata update, Signature[] calldata signatures) external;

    /// @notice Publishes several assets under one signature set over the EIP-712 `ParameterBatch`.
    function publishBatch(ParameterUpdate[] calldata updates, Signature[] calldata signatures) external;

    /// @notice The parameters in force for `asset` and when they were set.
    function latest(address asset) external view returns (AssetState memory);

    /// @notice The model and feature snapshot behind the asset's latest round; both zero for a round recorded by a
    /// fall-back (see {recordFallBack}), which no model produced.
    function provenance(address asset) external view returns (bytes32 modelId, bytes32 inputsRoot);

    /// @notice The DAO's bounds for `asset`.
    function bounds(address asset) external view returns (Bounds memory);

    /// @notice EIP-712 digest of one update (what each signer signs for `publish`).
    function updateDigest(ParameterUpdate calldata update) external view returns (bytes32);

    /// @notice EIP-712 digest of a batch (what each signer signs for `publishBatch`).
    function batchDigest(ParameterUpdate[] calldata updates) external view returns (bytes32);

    /// @notice Whether `account` is in the signer set, and how many signatures a publication needs.
    function isSigner(address account) external view returns (bool);
    function threshold() external view returns (uint8);

    /// @notice The signer set, and the guardian who may pause.
    function signers() external view returns (address[] memory);
    function guardian() external view returns (address);
    function paused() external view returns (bool);

    /// @notice The RiskSteward that may record a fall-back (zero: none).
    function steward() external view returns (address);

    /// @notice DAO only: sets an asset's bounds (validated: min ≤ max, bonus > 100 % where a threshold is allowed).
    function setBounds(address asset, Bounds calldata newBounds) external;

    /// @notice DAO only: replaces the signer set and the threshold (1 ≤ threshold ≤ signers).
    function setSigners(address[] calldata signers, uint8 newThreshold) external;

    /// @notice DAO only: sets the guardian, who may pause.
    function setGuardian(address newGuardian) external;

    /// @notice DAO only: sets the steward, the one contract that may record a fall-back.
    function setSteward(address newSteward) external;

    /// @notice The steward only, while paused: records what Aave has for `asset` after a guardian's fall-back as the
    /// asset's latest state, in a new round (the latest plus one, so the feeds' round ids stay increasing and the
    /// round a guardian stopped can never be published or applied), with zero provenance and `updatedAt` now. The
    /// next signed round is then held to the bounds' step limit and minimum delay from these parameters.
    /// @dev No bounds are checked: the values are Aave's own. Reverts with `RiskOracleNotSteward`,
    /// `RiskOracleNotPaused` or `RiskOracleRoundTooLarge`.
    /// @return round The round that now holds the parameters.
    function recordFallBack(address asset, uint16 ltv, uint16 liquidationThreshold, uint16 liquidationBonus) external returns (uint64 round);

    /// @notice Guardian (or DAO): stops publishing.
    function pause() external;

    /// @notice DAO only: resumes publishing.
    function unpause() external;
}
