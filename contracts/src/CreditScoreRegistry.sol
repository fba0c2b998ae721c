// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IRiskOracle} from "./interfaces/IRiskOracle.sol";
import {ModelRegistry} from "./ModelRegistry.sol";
import {QuantizedMLP} from "./verifier/QuantizedMLP.sol";

/// @title CreditScoreRegistry
/// @notice Credit-score epochs: a Merkle root of (wallet, score, pd, featuresHash) leaves signed k-of-n by the
/// oracle's signer set, published with a bond. During the challenge window anyone may have the contract recompute
/// a leaf's score with the registered model's quantised weights; a wrong epoch is invalidated and the bond paid to
/// the challenger. Publishing costs the same for ten wallets or ten million.
contract CreditScoreRegistry is EIP712, Ownable {
    bytes32 public constant EPOCH_TYPEHASH = keccak256("CreditEpoch(uint64 epoch,bytes32 root,bytes32 modelId,uint64 walletCount)");

    /// @dev Three slots: root, modelId, and (publisher, publishedAt, invalidated, bond in gwei).
    struct Epoch {
        bytes32 root;
        bytes32 modelId;
        address publisher;
        uint40 publishedAt;
        bool invalidated;
        uint48 bondGwei;
    }

    /// @dev One slot, read on every publication anyway: the DAO's settings and the latest epoch.
    struct Settings {
        uint96 requiredBond;
        uint32 challengeWindow;
        uint64 latestEpoch;
    }

    /// @dev One slot per wallet: what `scoreOf` returns.
    struct Score {
        uint16 score;
        uint64 pd;
        uint64 epoch;
        uint40 provedAt;
    }

    error CreditScoreRegistryStaleEpoch(uint64 epoch, uint64 latest);
    error CreditScoreRegistryBondTooLow(uint256 sent, uint256 required);
    error CreditScoreRegistryUnknownEpoch(uint64 epoch);
    error CreditScoreRegistryEpochInvalidated(uint64 epoch);
    error CreditScoreRegistryInvalidProof(uint64 epoch, address wallet);
    error CreditScoreRegistryWindowClosed(uint64 epoch, uint256 closedAt);
    error CreditScoreRegistryWindowOpen(uint64 epoch, uint256 closesAt);
    error CreditScoreRegistryWrongWeights(bytes32 modelId, bytes32 given, bytes32 registered);
    error CreditScoreRegistryChallengeFailed(uint64 epoch, address wallet, uint256 score, uint256 pd);
    error CreditScoreRegistryInvalidSignature(uint256 index);
    error CreditScoreRegistrySignersNotSorted(uint256 index);
    error CreditScoreRegistrySignerNotAuthorized(address signer);
    error CreditScoreRegistryThresholdNotMet(uint256 signers, uint256 threshold);
    error CreditScoreRegistryNotPublisher(address caller);
    error CreditScoreRegistryTransferFailed(address to, uint256 amount);

    /// @notice Emitted when an epoch is published.
    event EpochPublished(uint64 indexed epoch, bytes32 root, bytes32 indexed modelId, uint64 walletCount, address publisher, uint256 bond);
    /// @notice Emitted when a wallet's leaf is proved and stored.
    event ScoreProved(address indexed wallet, uint64 indexed epoch, uint256 score, uint256 pd);
    /// @notice Emitted when a challenge shows an epoch's score is wrong.
    event EpochInvalidated(uint64 indexed epoch, address indexed challenger, address wallet, uint256 publishedScore, uint256 recomputedScore, uint256 bondPaid);
    /// @notice Emitted when the DAO changes the bond or the window.
    event SettingsChanged(uint256 bond, uint256 challengeWindow);

    IRiskOracle public immutable signerSource;
    ModelRegistry public immutable models;
    Settings private _settings;

    mapping(uint64 epoch => Epoch) private _epochs;
    mapping(address wallet => Score) private _scores;

    constructor(address dao, IRiskOracle signerSource_, ModelRegistry models_, uint256 bond_, uint256 window_) EIP712("CreditScoreRegistry", "1") Ownable(dao) {
        signerSource = signerSource_;
        models = models_;
        _settings = Settings(uint96(bond_), uint32(window_), 0);
        emit SettingsChanged(bond_, window_);
    }

    /// @notice Wei a publisher must bond per epoch.
    function requiredBond() public view returns (uint256) {
        return _settings.requiredBond;
    }

    /// @notice Seconds after publication during which an epoch may be challenged.
    function challengeWindow() public view returns (uint256) {
        return _settings.challengeWindow;
    }

    /// @notice The highest epoch published.
    function latestEpoch() public view returns (uint64) {
        return _settings.latestEpoch;
    }

    /// @notice Publishes an epoch's root with k-of-n signatures of the EIP-712 `CreditEpoch` and the bond.
    function publishEpoch(uint64 epoch, bytes32 root, bytes32 modelId, uint64 walletCount, IRiskOracle.Signature[] calldata signatures) external payable {
        Settings memory settings = _settings;
        if (epoch <= settings.latestEpoch) revert CreditScoreRegistryStaleEpoch(epoch, settings.latestEpoch);
        if (msg.value < settings.requiredBond) revert CreditScoreRegistryBondTooLow(msg.value, settings.requiredBond);
        _verifySignatures(_hashTypedDataV4(keccak256(abi.encode(EPOCH_TYPEHASH, epoch, root, modelId, walletCount))), signatures);
        _settings.latestEpoch = epoch;
        // the bond is kept in gwei (whole gwei; any dust above stays with the contract's balance for the DAO)
        _epochs[epoch] = Epoch(root, modelId, msg.sender, uint40(block.timestamp), false, uint48(msg.value / 1 gwei));
        emit EpochPublished(epoch, root, modelId, walletCount, msg.sender, msg.value);
    }

    function _verifySignatures(bytes32 digest, IRiskOracle.Signature[] calldata signatures) private view {
        uint256 needed = signerSource.threshold();
        if (signatures.length < needed) revert CreditScoreRegistryThresholdNotMet(signatures.length, needed);
        address last;
        for (uint256 i; i < signatures.length; ++i) {
            (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signatures[i].v, signatures[i].r, signatures[i].s);
            if (err != ECDSA.RecoverError.NoError) revert CreditScoreRegistryInvalidSignature(i);
            if (signer <= last) revert CreditScoreRegistrySignersNotSorted(i);
            if (!signerSource.isSigner(signer)) revert CreditScoreRegistrySignerNotAuthorized(signer);
            last = signer;
        }
    }

    /// @notice The double-hashed leaf of OpenZeppelin's StandardMerkleTree for (wallet, score, pd, featuresHash).
    function leafHash(address wallet, uint256 score, uint256 pd, bytes32 featuresHash) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(wallet, score, pd, featuresHash))));
    }

    function _liveEpoch(uint64 epoch) private view returns (Epoch storage e) {
        e = _epochs[epoch];
        if (e.publishedAt == 0) revert CreditScoreRegistryUnknownEpoch(epoch);
        if (e.invalidated) revert CreditScoreRegistryEpochInvalidated(epoch);
    }

    /// @notice Checks a leaf against an epoch without storing anything.
    function verifyScore(uint64 epoch, address wallet, uint256 score, uint256 pd, bytes32 featuresHash, bytes32[] calldata proof) public view returns (bool) {
        Epoch storage e = _epochs[epoch];
        return e.publishedAt != 0 && !e.invalidated && MerkleProof.verifyCalldata(proof, e.root, leafHash(wallet, score, pd, featuresHash));
    }

    /// @notice Stores a wallet's proved leaf so that `scoreOf` answers for it (anyone may prove any wallet).
    function prove(uint64 epoch, address wallet, uint256 score, uint256 pd, bytes32 featuresHash, bytes32[] calldata proof) external {
        _liveEpoch(epoch);
        if (!verifyScore(epoch, wallet, score, pd, featuresHash, proof)) revert CreditScoreRegistryInvalidProof(epoch, wallet);
        _scores[wallet] = Score(uint16(score), uint64(pd), epoch, uint40(block.timestamp));
        emit ScoreProved(wallet, epoch, score, pd);
    }

    /// @notice A wallet's last proved score; `isFinal` once its epoch's challenge window has passed unchallenged.
    function scoreOf(address wallet) external view returns (uint256 score, uint256 pd, uint64 epoch, bytes32 modelId, uint256 timestamp, bool isFinal, bool valid) {
        Score memory s = _scores[wallet];
        Epoch storage e = _epochs[s.epoch];
        valid = s.epoch != 0 && !e.invalidated;
        return (s.score, s.pd, s.epoch, e.modelId, e.publishedAt, valid && block.timestamp >= e.publishedAt + _settings.challengeWindow, valid);
    }

    /// @notice A published leaf, as a challenger restates it.
    struct Claim {
        uint64 epoch;
        address wallet;
        uint256 score;
        uint256 pd;
    }

    /// @notice Recomputes a leaf's score on-chain; invalidates the epoch and pays the bond if it differs.
    /// @dev Reverts with CreditScoreRegistryChallengeFailed when the published score is right.
    function challenge(Claim calldata claim, bytes calldata features, bytes calldata weights, bytes32[] calldata proof) external {
        Epoch storage e = _checkClaim(claim, keccak256(features), keccak256(weights), proof);
        QuantizedMLP.Result memory r = QuantizedMLP.infer(weights, features);
        if (r.score == claim.score && r.pd == claim.pd) revert CreditScoreRegistryChallengeFailed(claim.epoch, claim.wallet, claim.score, claim.pd);
        uint256 bond = uint256(e.bondGwei) * 1 gwei;
        e.invalidated = true;
        e.bondGwei = 0;
        emit EpochInvalidated(claim.epoch, msg.sender, claim.wallet, claim.score, r.score, bond);
        (bool ok,) = msg.sender.call{value: bond}("");
        if (!ok) revert CreditScoreRegistryTransferFailed(msg.sender, bond);
    }

    /// @dev The claim is in a live epoch's root, inside the window, and the weights are the registered ones.
    function _checkClaim(Claim calldata c, bytes32 featuresHash, bytes32 weightsHash, bytes32[] calldata proof) private view returns (Epoch storage e) {
        e = _liveEpoch(c.epoch);
        uint256 closesAt = e.publishedAt + _settings.challengeWindow;
        if (block.timestamp >= closesAt) revert CreditScoreRegistryWindowClosed(c.epoch, closesAt);
        bytes32 registered = models.weightsHashOf(e.modelId);
        if (weightsHash != registered) revert CreditScoreRegistryWrongWeights(e.modelId, weightsHash, registered);
        if (!MerkleProof.verifyCalldata(proof, e.root, leafHash(c.wallet, c.score, c.pd, featuresHash))) revert CreditScoreRegistryInvalidProof(c.epoch, c.wallet);
    }

    /// @notice The publisher takes its bond back once the window has passed unchallenged.
    function withdrawBond(uint64 epoch) external {
        Epoch storage e = _liveEpoch(epoch);
        if (msg.sender != e.publisher) revert CreditScoreRegistryNotPublisher(msg.sender);
        uint256 closesAt = e.publishedAt + _settings.challengeWindow;
        if (block.timestamp < closesAt) revert CreditScoreRegistryWindowOpen(epoch, closesAt);
        uint256 bond = uint256(e.bondGwei) * 1 gwei;
        e.bondGwei = 0;
        (bool ok,) = msg.sender.call{value: bond}("");
        if (!ok) revert CreditScoreRegistryTransferFailed(msg.sender, bond);
    }

    /// @notice An epoch as stored.
    function epochOf(uint64 epoch) external view returns (Epoch memory) {
        return _epochs[epoch];
    }

    /// @notice EIP-712 digest the signers sign for an epoch.
    function epochDigest(uint64 epoch, bytes32 root, bytes32 modelId, uint64 walletCount) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(EPOCH_TYPEHASH, epoch, root, modelId, walletCount)));
    }

    /// @notice DAO only: the bond and the challenge window.
    function setSettings(uint256 bond, uint256 window) external onlyOwner {
        _settings.requiredBond = uint96(bond);
        _settings.challengeWindow = uint32(window);
        emit SettingsChanged(bond, window);
    }
}
