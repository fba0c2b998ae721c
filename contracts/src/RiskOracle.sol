// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IRiskOracle} from "./interfaces/IRiskOracle.sol";
import {AssetSlot} from "./libraries/AssetSlot.sol";
import {RiskParameterLogic} from "./libraries/RiskParameterLogic.sol";
import {SignatureLogic} from "./libraries/SignatureLogic.sol";

/// @title RiskOracle
/// @notice See {IRiskOracle}. Owned by the DAO's timelock; a guardian may pause.
/// @dev Hot path: one cold slot per asset (state + bounds, see {AssetSlot}), one for the model id (written only
/// when it changes) and one for the inputs root; signer lookups are one slot each.
contract RiskOracle is IRiskOracle, EIP712, Ownable {
    bytes32 public constant UPDATE_TYPEHASH = keccak256(
        "ParameterUpdate(address asset,uint16 ltv,uint16 liquidationThreshold,uint16 liquidationBonus,uint64 round,uint64 validUntil,bytes32 modelId,bytes32 inputsRoot)"
    );
    bytes32 public constant BATCH_TYPEHASH = keccak256(
        "ParameterBatch(ParameterUpdate[] updates)ParameterUpdate(address asset,uint16 ltv,uint16 liquidationThreshold,uint16 liquidationBonus,uint64 round,uint64 validUntil,bytes32 modelId,bytes32 inputsRoot)"
    );
    /// @dev ABI size of one ParameterUpdate (eight static words).
    uint256 private constant UPDATE_SIZE = 0x100;

    struct Provenance {
        bytes32 modelId;
        bytes32 inputsRoot;
    }

    mapping(address asset => uint256) private _slot;
    mapping(address asset => Provenance) private _provenance;
    mapping(address account => bool) private _isSigner;
    address[] private _signers;
    // one slot: read once per publication
    address private _guardian;
    uint8 private _threshold;
    bool private _paused;
    // read only when a fall-back is recorded
    address private _steward;

    constructor(address dao, address guardian_, address[] memory signers_, uint8 threshold_) EIP712("RiskOracle", "1") Ownable(dao) {
        _setSigners(signers_, threshold_);
        _guardian = guardian_;
        emit GuardianSet(address(0), guardian_);
    }

    // ---------------------------------------------------------------- publishing

    /// @inheritdoc IRiskOracle
    function publish(ParameterUpdate calldata update, Signature[] calldata signatures) external {
        if (_paused) revert RiskOraclePaused();
        uint256 word = _checkFresh(update);
        _verifySignatures(_hashTypedDataV4(_hashUpdate(update)), signatures);
        _apply(update, word);
    }

    /// @inheritdoc IRiskOracle
    function publishBatch(ParameterUpdate[] calldata updates, Signature[] calldata signatures) external {
        if (_paused) revert RiskOraclePaused();
        if (updates.length == 0) revert RiskOracleEmptyBatch();
        for (uint256 i; i < updates.length; ++i) _checkFresh(updates[i]);
        _verifySignatures(_batchDigest(updates), signatures);
        // re-reading each (now warm) slot keeps a batch naming one asset twice correct: the second sees the first
        for (uint256 i; i < updates.length; ++i) _apply(updates[i], _slot[updates[i].asset]);
    }

    /// @dev Stale or replayed messages are rejected before any signature work (cheap failures first).
    function _checkFresh(ParameterUpdate calldata u) private view returns (uint256 word) {
        if (u.validUntil < block.timestamp) revert RiskOracleExpired(u.validUntil, block.timestamp);
        word = _slot[u.asset];
        uint64 current = AssetSlot.round(word);
        if (u.round <= current) revert RiskOracleStaleRound(u.asset, u.round, current);
        if (u.round > AssetSlot.MAX_ROUND) revert RiskOracleRoundTooLarge(u.asset, u.round, uint64(AssetSlot.MAX_ROUND));
    }

    /// @dev Works on a memory copy: each calldata field is decoded (and validated) once.
    function _apply(ParameterUpdate calldata update, uint256 word) private {
        ParameterUpdate memory u = update;
        if (u.round <= AssetSlot.round(word)) revert RiskOracleStaleRound(u.asset, u.round, AssetSlot.round(word));
        RiskParameterLogic.validateUpdate(u, word, block.timestamp);
        _slot[u.asset] = AssetSlot.withState(word, u.ltv, u.liquidationThreshold, u.liquidationBonus, u.round, block.timestamp);
        Provenance storage p = _provenance[u.asset];
        if (p.modelId != u.modelId) p.modelId = u.modelId;
        p.inputsRoot = u.inputsRoot;
        emit ParametersUpdated(
            u.asset,
            u.round,
            AssetSlot.ltv(word),
            AssetSlot.liquidationThreshold(word),
            AssetSlot.liquidationBonus(word),
            u.ltv,
            u.liquidationThreshold,
            u.liquidationBonus,
            u.modelId,
            u.inputsRoot
        );
    }

    /// @dev k distinct authorised signers; ascending order makes duplicates impossible without a lookup.
    function _verifySignatures(bytes32 digest, Signature[] calldata signatures) private view {
        uint256 needed = _threshold;
        if (signatures.length < needed) revert RiskOracleThresholdNotMet(signatures.length, needed);
        address last;
        for (uint256 i; i < signatures.length; ++i) {
            address signer = SignatureLogic.recover(digest, signatures[i]);
            if (signer == address(0)) revert RiskOracleInvalidSignature(i);
            if (signer <= last) revert RiskOracleSignersNotSorted(i);
            if (!_isSigner[signer]) revert RiskOracleSignerNotAuthorized(signer);
            last = signer;
        }
    }

    /// @dev hashStruct(ParameterUpdate): the typehash and the eight ABI words as they sit in calldata. Every field
    /// is decoded (and so validated by the ABI decoder) before anything is stored, so the words hashed are clean.
    function _hashUpdate(ParameterUpdate calldata u) private pure returns (bytes32 h) {
        bytes32 typehash = UPDATE_TYPEHASH;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typehash)
            calldatacopy(add(ptr, 0x20), u, UPDATE_SIZE)
            h := keccak256(ptr, add(UPDATE_SIZE, 0x20))
        }
    }

    function _batchDigest(ParameterUpdate[] calldata updates) private view returns (bytes32) {
        bytes32[] memory hashes = new bytes32[](updates.length);
        for (uint256 i; i < updates.length; ++i) hashes[i] = _hashUpdate(updates[i]);
        return _hashTypedDataV4(keccak256(abi.encode(BATCH_TYPEHASH, keccak256(abi.encodePacked(hashes)))));
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IRiskOracle
    function latest(address asset) external view returns (AssetState memory) {
        return AssetSlot.state(_slot[asset]);
    }

    /// @inheritdoc IRiskOracle
    function provenance(address asset) external view returns (bytes32 modelId, bytes32 inputsRoot) {
        Provenance storage p = _provenance[asset];
        return (p.modelId, p.inputsRoot);
    }

    /// @inheritdoc IRiskOracle
    function bounds(address asset) external view returns (Bounds memory) {
        return AssetSlot.bounds(_slot[asset]);
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

    /// @inheritdoc IRiskOracle
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

    /// @inheritdoc IRiskOracle
    function guardian() external view returns (address) {
        return _guardian;
    }

    /// @inheritdoc IRiskOracle
    function steward() external view returns (address) {
        return _steward;
    }

    // ---------------------------------------------------------------- fall-back

    /// @inheritdoc IRiskOracle
    function recordFallBack(address asset, uint16 ltv, uint16 liquidationThreshold, uint16 liquidationBonus) external returns (uint64 round) {
        if (msg.sender != _steward) revert RiskOracleNotSteward(msg.sender);
        if (!_paused) revert RiskOracleNotPaused();
        uint256 word = _slot[asset];
        round = AssetSlot.round(word) + 1;
        if (round > AssetSlot.MAX_ROUND) revert RiskOracleRoundTooLarge(asset, round, uint64(AssetSlot.MAX_ROUND));
        // AssetSlot.withState's layout, written out: a second call of that helper (or of an identical one, which the
        // optimizer merges) stops it being inlined into publish's per-asset loop, +90 gas per asset in a batch
        _slot[asset] = (word & ~AssetSlot.STATE_MASK) | uint256(ltv) | (uint256(liquidationThreshold) << 16) | (uint256(liquidationBonus) << 32)
            | (uint256(round) << 48) | (uint256(uint32(block.timestamp)) << 96);
        // no model produced this state: zero provenance marks it (and refunds the slots)
        delete _provenance[asset];
        emit FallBackRecorded(
            asset,
            round,
            AssetSlot.ltv(word),
            AssetSlot.liquidationThreshold(word),
            AssetSlot.liquidationBonus(word),
            ltv,
            liquidationThreshold,
            liquidationBonus,
            msg.sender
        );
    }

    // ---------------------------------------------------------------- governance

    /// @inheritdoc IRiskOracle
    function setBounds(address asset, Bounds calldata newBounds) external onlyOwner {
        RiskParameterLogic.validateBounds(asset, newBounds);
        uint256 word = _slot[asset];
        _slot[asset] = AssetSlot.withBounds(word, newBounds);
        emit BoundsSet(asset, AssetSlot.bounds(word), newBounds);
    }

    /// @inheritdoc IRiskOracle
    function setSigners(address[] calldata signers_, uint8 newThreshold) external onlyOwner {
        _setSigners(signers_, newThreshold);
    }

    function _setSigners(address[] memory signers_, uint8 newThreshold) private {
        if (newThreshold == 0 || newThreshold > signers_.length) revert RiskOracleInvalidSignerSet(signers_.length, newThreshold);
        address[] memory old = _signers;
        for (uint256 i; i < old.length; ++i) _isSigner[old[i]] = false;
        for (uint256 i; i < signers_.length; ++i) {
            if (signers_[i] == address(0) || _isSigner[signers_[i]]) revert RiskOracleInvalidSignerSet(signers_.length, newThreshold);
            _isSigner[signers_[i]] = true;
        }
        uint8 oldThreshold = _threshold;
        _signers = signers_;
        _threshold = newThreshold;
        emit SignersSet(old, oldThreshold, signers_, newThreshold);
    }

    /// @inheritdoc IRiskOracle
    function setGuardian(address newGuardian) external onlyOwner {
        address old = _guardian;
        _guardian = newGuardian;
        emit GuardianSet(old, newGuardian);
    }

    /// @inheritdoc IRiskOracle
    function setSteward(address newSteward) external onlyOwner {
        address old = _steward;
        _steward = newSteward;
        emit StewardSet(old, newSteward);
    }

    /// @inheritdoc IRiskOracle
    function pause() external {
        if (msg.sender != _guardian && msg.sender != owner()) revert RiskOracleNotGuardian(msg.sender);
        _paused = true;
        emit Paused(msg.sender);
    }

    /// @inheritdoc IRiskOracle
    function unpause() external onlyOwner {
        _paused = false;
        emit Unpaused(msg.sender);
    }
}
