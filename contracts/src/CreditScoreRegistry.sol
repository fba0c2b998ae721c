// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ICreditScoreRegistry} from "./interfaces/ICreditScoreRegistry.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {IRiskOracle} from "./interfaces/IRiskOracle.sol";
import {SignatureLogic} from "./libraries/SignatureLogic.sol";
import {QuantizedMLP} from "./verifier/QuantizedMLP.sol";

/// @title CreditScoreRegistry
/// @notice See {ICreditScoreRegistry}. Signers come from RiskOracle's set; models from the ModelRegistry; the DAO's
/// timelock owns the bond and the window.
/// @dev Storage is laid out for the three hot paths: an epoch is two slots (root; publisher id, times, bond, model
/// index, flag), a proved score one slot, and `scoreOf` reads two (score, model id) unless an epoch of the score's
/// model was ever invalidated (then two more: the epoch's flag and the model id kept aside).
contract CreditScoreRegistry is ICreditScoreRegistry, EIP712, Ownable {
    bytes32 public constant EPOCH_TYPEHASH = keccak256("CreditEpoch(uint64 epoch,bytes32 root,bytes32 modelId,uint64 walletCount)");
    uint256 private constant WAD = 1e18;
    /// @dev Stands in `_modelIds` for a model one of whose epochs was invalidated (no keccak256 output is 1).
    bytes32 private constant TAINTED = bytes32(uint256(1));

    /// @dev One slot, read and written by every publication.
    struct Settings {
        uint96 requiredBond;
        uint32 challengeWindow;
        uint64 latestEpoch;
        uint16 lastModelIndex;
        uint32 publisherCount;
    }

    /// @dev One slot per wallet: what `scoreOf` returns, with its epoch's times copied in.
    struct Score {
        uint16 score;
        uint64 pd;
        uint64 epoch;
        uint16 modelIndex;
        uint32 publishedAt;
        uint32 closesAt;
    }

    IRiskOracle public immutable signerSource;
    IModelRegistry public immutable models;
    Settings private _settings;

    mapping(uint64 epoch => Epoch) private _epochs;
    mapping(address wallet => Score) private _scores;
    /// @dev A model's id while none of its epochs was invalidated, TAINTED after (the id moves to `_taintedModelIds`):
    /// `scoreOf` reads one slot for both the id and the news that its epoch is valid, and the epoch's flag only then.
    mapping(uint16 modelIndex => bytes32 modelId) private _modelIds;
    mapping(uint16 modelIndex => bytes32 modelId) private _taintedModelIds;
    mapping(address publisher => uint32) private _publisherIds;
    mapping(uint32 publisherId => address) private _publishers;

    constructor(address dao, IRiskOracle signerSource_, IModelRegistry models_, uint256 bond_, uint256 window_)
        EIP712("CreditScoreRegistry", "1")
        Ownable(dao)
    {
        signerSource = signerSource_;
        models = models_;
        _setSettings(bond_, window_);
    }

    // ---------------------------------------------------------------- publishing

    /// @inheritdoc ICreditScoreRegistry
    function publishEpoch(uint64 epoch, bytes32 root, bytes32 modelId, uint64 walletCount, IRiskOracle.Signature[] calldata signatures) external payable {
        Settings memory s = _settings;
        if (epoch <= s.latestEpoch) revert CreditScoreRegistryStaleEpoch(epoch, s.latestEpoch);
        if (msg.value < s.requiredBond) revert CreditScoreRegistryBondTooLow(msg.value, s.requiredBond);
        _verifySignatures(_epochDigest(epoch, root, modelId, walletCount), signatures);
        uint16 modelIndex = models.creditModelIndex(modelId);
        if (modelIndex != s.lastModelIndex) {
            if (_modelIds[modelIndex] == bytes32(0)) _modelIds[modelIndex] = modelId;
            s.lastModelIndex = modelIndex;
        }
        uint32 publisherId = _publisherIds[msg.sender];
        if (publisherId == 0) {
            publisherId = ++s.publisherCount;
            _publisherIds[msg.sender] = publisherId;
            _publishers[publisherId] = msg.sender;
        }
        s.latestEpoch = epoch;
        _settings = s;
        // the bond is kept in whole gwei (any dust below stays with the contract)
        _epochs[epoch] = Epoch(
            root, publisherId, uint32(block.timestamp), uint32(block.timestamp + s.challengeWindow), uint64(msg.value / 1 gwei), modelIndex, false
        );
        emit EpochPublished(epoch, root, modelId, walletCount, msg.sender, msg.value);
    }

    /// @dev k distinct signers of RiskOracle's set, sorted ascending (duplicates impossible without a lookup).
    function _verifySignatures(bytes32 digest, IRiskOracle.Signature[] calldata signatures) private view {
        uint256 needed = signerSource.threshold();
        if (signatures.length < needed) revert CreditScoreRegistryThresholdNotMet(signatures.length, needed);
        address last;
        for (uint256 i; i < signatures.length; ++i) {
            address signer = SignatureLogic.recover(digest, signatures[i]);
            if (signer == address(0)) revert CreditScoreRegistryInvalidSignature(i);
            if (signer <= last) revert CreditScoreRegistrySignersNotSorted(i);
            if (!signerSource.isSigner(signer)) revert CreditScoreRegistrySignerNotAuthorized(signer);
            last = signer;
        }
    }

    function _epochDigest(uint64 epoch, bytes32 root, bytes32 modelId, uint64 walletCount) private view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(EPOCH_TYPEHASH, epoch, root, modelId, walletCount)));
    }

    // ---------------------------------------------------------------- proofs and reads

    /// @inheritdoc ICreditScoreRegistry
    function leafHash(address wallet, uint256 score, uint256 pd, bytes32 featuresHash) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(wallet, score, pd, featuresHash))));
    }

    function _liveEpoch(uint64 epoch) private view returns (Epoch storage e) {
        e = _epochs[epoch];
        if (e.publishedAt == 0) revert CreditScoreRegistryUnknownEpoch(epoch);
        if (e.invalidated) revert CreditScoreRegistryEpochInvalidated(epoch);
    }

    /// @inheritdoc ICreditScoreRegistry
    function verifyScore(uint64 epoch, address wallet, uint256 score, uint256 pd, bytes32 featuresHash, bytes32[] calldata proof) external view returns (bool) {
        Epoch storage e = _epochs[epoch];
        return e.publishedAt != 0 && !e.invalidated && MerkleProof.verifyCalldata(proof, e.root, leafHash(wallet, score, pd, featuresHash));
    }

    /// @inheritdoc ICreditScoreRegistry
    function prove(uint64 epoch, address wallet, uint256 score, uint256 pd, bytes32 featuresHash, bytes32[] calldata proof) external {
        Epoch storage e = _liveEpoch(epoch);
        if (score > type(uint16).max || pd > WAD) revert CreditScoreRegistryInvalidLeaf(score, pd);
        if (!MerkleProof.verifyCalldata(proof, e.root, leafHash(wallet, score, pd, featuresHash))) revert CreditScoreRegistryInvalidProof(epoch, wallet);
        Score storage stored = _scores[wallet];
        (uint64 oldEpoch, uint16 oldScore) = (stored.epoch, stored.score);
        _scores[wallet] = Score(uint16(score), uint64(pd), epoch, e.modelIndex, e.publishedAt, e.closesAt);
        emit ScoreProved(wallet, epoch, oldEpoch, oldScore, score, pd);
    }

    /// @inheritdoc ICreditScoreRegistry
    function scoreOf(address wallet)
        external
        view
        returns (uint256 score, uint256 pd, uint64 epoch, bytes32 modelId, uint256 timestamp, bool isFinal, bool valid)
    {
        Score memory s = _scores[wallet];
        if (s.epoch == 0) return (0, 0, 0, bytes32(0), 0, false, false);
        modelId = _modelIds[s.modelIndex];
        valid = true;
        if (modelId == TAINTED) {
            // an epoch of this model was invalidated: was it this score's?
            modelId = _taintedModelIds[s.modelIndex];
            valid = !_epochs[s.epoch].invalidated;
        }
        return (s.score, s.pd, s.epoch, modelId, s.publishedAt, valid && block.timestamp >= s.closesAt, valid);
    }

    // ---------------------------------------------------------------- challenges and bonds

    /// @inheritdoc ICreditScoreRegistry
    function challenge(Claim calldata claim, bytes calldata features, bytes calldata weights, bytes32[] calldata proof) external {
        Epoch storage e = _checkClaim(claim, keccak256(features), keccak256(weights), proof);
        QuantizedMLP.Result memory r = QuantizedMLP.infer(weights, features);
        if (r.score == claim.score && r.pd == claim.pd) revert CreditScoreRegistryChallengeFailed(claim.epoch, claim.wallet, claim.score, claim.pd);
        uint256 bond = uint256(e.bondGwei) * 1 gwei;
        e.invalidated = true;
        e.bondGwei = 0;
        _taint(e.modelIndex);
        emit EpochInvalidated(claim.epoch, msg.sender, claim.wallet, claim.score, r.score, bond);
        _pay(msg.sender, bond);
    }

    /// @dev The claim is in a live epoch's root, inside the window, and the weights are the registered ones.
    function _checkClaim(Claim calldata c, bytes32 featuresHash, bytes32 weightsHash, bytes32[] calldata proof) private view returns (Epoch storage e) {
        e = _liveEpoch(c.epoch);
        if (block.timestamp >= e.closesAt) revert CreditScoreRegistryWindowClosed(c.epoch, e.closesAt);
        bytes32 modelId = _modelIdOf(e.modelIndex);
        bytes32 registered = models.weightsHashOf(modelId);
        if (weightsHash != registered) revert CreditScoreRegistryWrongWeights(modelId, weightsHash, registered);
        if (!MerkleProof.verifyCalldata(proof, e.root, leafHash(c.wallet, c.score, c.pd, featuresHash))) {
            revert CreditScoreRegistryInvalidProof(c.epoch, c.wallet);
        }
    }

    /// @dev From now on `scoreOf` checks the epoch of every score of this model (once per model).
    function _taint(uint16 modelIndex) private {
        bytes32 modelId = _modelIds[modelIndex];
        if (modelId == TAINTED) return;
        _taintedModelIds[modelIndex] = modelId;
        _modelIds[modelIndex] = TAINTED;
    }

    function _modelIdOf(uint16 modelIndex) private view returns (bytes32 modelId) {
        modelId = _modelIds[modelIndex];
        if (modelId == TAINTED) modelId = _taintedModelIds[modelIndex];
    }

    /// @inheritdoc ICreditScoreRegistry
    function withdrawBond(uint64 epoch) external {
        Epoch storage e = _liveEpoch(epoch);
        address publisher = _publishers[e.publisherId];
        if (msg.sender != publisher) revert CreditScoreRegistryNotPublisher(msg.sender, publisher);
        if (block.timestamp < e.closesAt) revert CreditScoreRegistryWindowOpen(epoch, e.closesAt);
        uint256 bond = uint256(e.bondGwei) * 1 gwei;
        if (bond == 0) revert CreditScoreRegistryBondAlreadyWithdrawn(epoch);
        e.bondGwei = 0;
        emit BondWithdrawn(epoch, publisher, bond);
        _pay(publisher, bond);
    }

    function _pay(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert CreditScoreRegistryTransferFailed(to, amount);
    }

    // ---------------------------------------------------------------- views and settings

    /// @inheritdoc ICreditScoreRegistry
    function epochOf(uint64 epoch) external view returns (Epoch memory stored, bytes32 modelId, address publisher) {
        stored = _epochs[epoch];
        return (stored, _modelIdOf(stored.modelIndex), _publishers[stored.publisherId]);
    }

    /// @inheritdoc ICreditScoreRegistry
    function epochDigest(uint64 epoch, bytes32 root, bytes32 modelId, uint64 walletCount) external view returns (bytes32) {
        return _epochDigest(epoch, root, modelId, walletCount);
    }

    /// @inheritdoc ICreditScoreRegistry
    function requiredBond() external view returns (uint256) {
        return _settings.requiredBond;
    }

    /// @inheritdoc ICreditScoreRegistry
    function challengeWindow() external view returns (uint256) {
        return _settings.challengeWindow;
    }

    /// @inheritdoc ICreditScoreRegistry
    function latestEpoch() external view returns (uint64) {
        return _settings.latestEpoch;
    }

    /// @inheritdoc ICreditScoreRegistry
    function setSettings(uint256 bond, uint256 window) external onlyOwner {
        _setSettings(bond, window);
    }

    function _setSettings(uint256 bond, uint256 window) private {
        if (bond > type(uint96).max || window > type(uint32).max) revert CreditScoreRegistryInvalidSettings(bond, window);
        Settings storage s = _settings;
        emit SettingsChanged(s.requiredBond, s.challengeWindow, bond, window);
        (s.requiredBond, s.challengeWindow) = (uint96(bond), uint32(window));
    }
}
