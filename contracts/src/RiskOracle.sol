// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IRiskOracle} from "./interfaces/IRiskOracle.sol";
import {RiskParameterLogic} from "./libraries/RiskParameterLogic.sol";

/// @title RiskOracle
/// @notice See {IRiskOracle}. Owned by the DAO's timelock; a guardian may pause.
contract RiskOracle is IRiskOracle, EIP712, Ownable {
    bytes32 public constant UPDATE_TYPEHASH = keccak256(
        "ParameterUpdate(address asset,uint16 ltv,uint16 liquidationThreshold,uint16 liquidationBonus,uint64 round,uint64 validUntil,bytes32 modelId,bytes32 inputsRoot)"
    );
    bytes32 public constant BATCH_TYPEHASH = keccak256(
        "ParameterBatch(ParameterUpdate[] updates)ParameterUpdate(address asset,uint16 ltv,uint16 liquidationThreshold,uint16 liquidationBonus,uint64 round,uint64 validUntil,bytes32 modelId,bytes32 inputsRoot)"
    );

    mapping(address asset => AssetState) private _state;
    mapping(address asset => bytes32) private _modelId;
    mapping(address asset => bytes32) private _inputsRoot;
    mapping(address asset => Bounds) private _bounds;
    mapping(address account => bool) private _isSigner;
    address[] private _signers;
    uint8 private _threshold;
    bool private _paused;
    address private _guardian;

    constructor(address dao, address guardian_, address[] memory signers_, uint8 threshold_)
        EIP712("RiskOracle", "1")
        Ownable(dao)
    {
        _setSigners(signers_, threshold_);
        _guardian = guardian_;
        emit GuardianSet(address(0), guardian_);
    }

    // ---------------------------------------------------------------- publishing

    /// @inheritdoc IRiskOracle
    function publish(ParameterUpdate calldata update, Signature[] calldata signatures) external {
        if (_paused) revert RiskOraclePaused();
        _checkFresh(update);
        _verifySignatures(_hashTypedDataV4(_hashUpdate(update)), signatures);
        _apply(update);
    }

    /// @inheritdoc IRiskOracle
    function publishBatch(ParameterUpdate[] calldata updates, Signature[] calldata signatures) external {
        if (_paused) revert RiskOraclePaused();
        if (updates.length == 0) revert RiskOracleEmptyBatch();
        for (uint256 i; i < updates.length; ++i) _checkFresh(updates[i]);
        _verifySignatures(_batchDigest(updates), signatures);
        for (uint256 i; i < updates.length; ++i) _apply(updates[i]);
    }

    /// @dev Stale or replayed messages are rejected before any signature work (cheap failures first).
    function _checkFresh(ParameterUpdate calldata u) private view {
        if (u.validUntil < block.timestamp) revert RiskOracleExpired(u.validUntil, block.timestamp);
        uint64 current = _state[u.asset].round;
        if (u.round <= current) revert RiskOracleStaleRound(u.asset, u.round, current);
    }

    function _apply(ParameterUpdate calldata u) private {
        AssetState memory old = _state[u.asset];
        RiskParameterLogic.validateUpdate(u, old, _bounds[u.asset], block.timestamp);
        _state[u.asset] = AssetState({
            ltv: u.ltv,
            liquidationThreshold: u.liquidationThreshold,
            liquidationBonus: u.liquidationBonus,
            round: u.round,
            updatedAt: uint40(block.timestamp)
        });
        if (_modelId[u.asset] != u.modelId) _modelId[u.asset] = u.modelId;
        _inputsRoot[u.asset] = u.inputsRoot;
        emit ParametersUpdated(
            u.asset, u.round, old.ltv, old.liquidationThreshold, old.liquidationBonus, u.ltv, u.liquidationThreshold, u.liquidationBonus, u.modelId, u.inputsRoot
        );
    }

    /// @dev k distinct authorised signers; ascending order makes duplicates impossible without a lookup.
    function _verifySignatures(bytes32 digest, Signature[] calldata signatures) private view {
        uint256 needed = _threshold;
        if (signatures.length < needed) revert RiskOracleThresholdNotMet(signatures.length, needed);
        address last;
        for (uint256 i; i < signatures.length; ++i) {
            (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signatures[i].v, signatures[i].r, signatures[i].s);
            if (err != ECDSA.RecoverError.NoError) revert RiskOracleInvalidSignature(i);
            if (signer <= last) revert RiskOracleSignersNotSorted(i);
            if (!_isSigner[signer]) revert RiskOracleSignerNotAuthorized(signer);
            last = signer;
        }
    }

    function _hashUpdate(ParameterUpdate calldata u) private pure returns (bytes32) {
        return keccak256(
            abi.encode(UPDATE_TYPEHASH, u.asset, u.ltv, u.liquidationThreshold, u.liquidationBonus, u.round, u.validUntil, u.modelId, u.inputsRoot)
        );
    }

    function _batchDigest(ParameterUpdate[] calldata updates) private view returns (bytes32) {
        bytes32[] memory hashes = new bytes32[](updates.length);
        for (uint256 i; i < updates.length; ++i) hashes[i] = _hashUpdate(updates[i]);
        return _hashTypedDataV4(keccak256(abi.encode(BATCH_TYPEHASH, keccak256(abi.encodePacked(hashes)))));
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IRiskOracle
    function latest(address asset) external view returns (AssetState memory) {
        return _state[asset];
    }

    /// @inheritdoc IRiskOracle
    function provenance(address asset) external view returns (bytes32 modelId, bytes32 inputsRoot) {
        return (_modelId[asset], _inputsRoot[asset]);
    }

    /// @inheritdoc IRiskOracle
    function bounds(address asset) external view returns (Bounds memory) {
        return _bounds[asset];
    }

    /// @inheritdoc IRiskOracle
    function updateDigest(ParameterUpdate calldata update) external view returns (bytes32) {
        return _hashTypedDataV4(_hashUpdate(update));
    }

    /// @inheritdoc IRiskOracle
    function batchDigest(ParameterUpdate[] calldata updates) external view returns (bytes32) {
        return _batchDigest(updates);
    }

    /// @inheritdoc IRiskOracle
    function isSigner(address account) external view returns (bool) {
        return _isSigner[account];
    }

    /// @notice The current signer set.
    function signers() external view returns (address[] memory) {
        return _signers;
    }

    /// @inheritdoc IRiskOracle
    function threshold() external view returns (uint8) {
        return _threshold;
    }

    /// @inheritdoc IRiskOracle
    function paused() external view returns (bool) {
        return _paused;
    }

    /// @notice The guardian, who may pause.
    function guardian() external view returns (address) {
        return _guardian;
    }

    // ---------------------------------------------------------------- governance

    /// @inheritdoc IRiskOracle
    function setBounds(address asset, Bounds calldata newBounds) external onlyOwner {
        RiskParameterLogic.validateBounds(asset, newBounds);
        Bounds memory old = _bounds[asset];
        _bounds[asset] = newBounds;
        emit BoundsSet(asset, old, newBounds);
    }

    /// @inheritdoc IRiskOracle
    function setSigners(address[] calldata signers_, uint8 newThreshold) external onlyOwner {
        _setSigners(signers_, newThreshold);
    }

    function _setSigners(address[] memory signers_, uint8 newThreshold) private {
        if (newThreshold == 0 || newThreshold > signers_.length) revert RiskOracleInvalidSignerSet(signers_.length, newThreshold);
        for (uint256 i; i < _signers.length; ++i) _isSigner[_signers[i]] = false;
        for (uint256 i; i < signers_.length; ++i) {
            if (signers_[i] == address(0) || _isSigner[signers_[i]]) revert RiskOracleInvalidSignerSet(signers_.length, newThreshold);
            _isSigner[signers_[i]] = true;
        }
        _signers = signers_;
        _threshold = newThreshold;
        emit SignersSet(signers_, newThreshold);
    }

    /// @inheritdoc IRiskOracle
    function setGuardian(address newGuardian) external onlyOwner {
        emit GuardianSet(_guardian, newGuardian);
        _guardian = newGuardian;
    }

    /// @inheritdoc IRiskOracle
    function pause() external {
        if (msg.sender != _guardian && msg.sender != owner()) revert RiskOracleNotGuardian(msg.sender);
        _paused = true;
        emit PausedBy(msg.sender);
    }

    /// @inheritdoc IRiskOracle
    function unpause() external onlyOwner {
        _paused = false;
        emit Unpaused(msg.sender);
    }
}
