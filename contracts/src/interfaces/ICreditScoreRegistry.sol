// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IRiskOracle} from "./IRiskOracle.sol";

/// @title ICreditScoreRegistry
/// @notice Credit-score epochs: a Merkle root of (wallet, score, pd, featuresHash) leaves (OpenZeppelin
/// StandardMerkleTree) signed k-of-n by the oracle's signer set and published with a bond. During the challenge
/// window anyone may have the contract recompute a leaf with the registered model's quantised weights; a wrong
/// epoch is invalidated and its bond paid to the challenger. Publishing costs the same for ten wallets or ten
/// million; a wallet (or anyone) proves its leaf once, after which `scoreOf` answers for it.
interface ICreditScoreRegistry {
    /// @notice A published leaf, as a challenger restates it.
    struct Claim {
        uint64 epoch;
        address wallet;
        uint256 score;
        uint256 pd;
    }

    /// @notice An epoch as stored (two slots): its root, and who published it when, with which model and bond.
    struct Epoch {
        bytes32 root;
        uint32 publisherId;
        uint32 publishedAt;
        uint32 closesAt;
        uint64 bondGwei;
        uint16 modelIndex;
        bool invalidated;
    }

    error CreditScoreRegistryStaleEpoch(uint64 epoch, uint64 latest);
    error CreditScoreRegistryBondTooLow(uint256 sent, uint256 required);
    error CreditScoreRegistryUnknownEpoch(uint64 epoch);
    error CreditScoreRegistryEpochInvalidated(uint64 epoch);
    error CreditScoreRegistryInvalidProof(uint64 epoch, address wallet);
    error CreditScoreRegistryInvalidLeaf(uint256 score, uint256 pd);
    error CreditScoreRegistryWindowClosed(uint64 epoch, uint256 closedAt);
    error CreditScoreRegistryWindowOpen(uint64 epoch, uint256 closesAt);
    error CreditScoreRegistryWrongWeights(bytes32 modelId, bytes32 given, bytes32 registered);
    error CreditScoreRegistryChallengeFailed(uint64 epoch, address wallet, uint256 score, uint256 pd);
    error CreditScoreRegistryInvalidSignature(uint256 index);
    error CreditScoreRegistrySignersNotSorted(uint256 index);
    error CreditScoreRegistrySignerNotAuthorized(address signer);
    error CreditScoreRegistryThresholdNotMet(uint256 signers, uint256 threshold);
    error CreditScoreRegistryNotPublisher(address caller, address publisher);
    error CreditScoreRegistryBondAlreadyWithdrawn(uint64 epoch);
    error CreditScoreRegistryTransferFailed(address to, uint256 amount);
    error CreditScoreRegistryInvalidSettings(uint256 bond, uint256 challengeWindow);

    /// @notice Emitted when an epoch is published.
    event EpochPublished(uint64 indexed epoch, bytes32 root, bytes32 indexed modelId, uint64 walletCount, address publisher, uint256 bond);
    /// @notice Emitted when a wallet's leaf is proved and stored (replacing its previous score, if any).
    event ScoreProved(address indexed wallet, uint64 indexed epoch, uint64 oldEpoch, uint256 oldScore, uint256 score, uint256 pd);
    /// @notice Emitted when a challenge shows an epoch's score is wrong.
    event EpochInvalidated(uint64 indexed epoch, address indexed challenger, address wallet, uint256 publishedScore, uint256 recomputedScore, uint256 bondPaid);
    /// @notice Emitted when a publisher takes back the bond of an unchallenged epoch.
    event BondWithdrawn(uint64 indexed epoch, address indexed publisher, uint256 bond);
    /// @notice Emitted when the DAO changes the bond or the window.
    event SettingsChanged(uint256 oldBond, uint256 oldChallengeWindow, uint256 bond, uint256 challengeWindow);

    /// @notice Publishes an epoch's root with k-of-n signatures of the EIP-712 `CreditEpoch` and at least the bond.
    /// @dev Epochs strictly increase; the model must be a usable credit model of the ModelRegistry.
    function publishEpoch(uint64 epoch, bytes32 root, bytes32 modelId, uint64 walletCount, IRiskOracle.Signature[] calldata signatures) external payable;

    /// @notice Checks a leaf against a live (published, not invalidated) epoch without storing anything.
    function verifyScore(uint64 epoch, address wallet, uint256 score, uint256 pd, bytes32 featuresHash, bytes32[] calldata proof) external view returns (bool);

    /// @notice Stores a wallet's proved leaf so that `scoreOf` answers for it (anyone may prove any wallet).
    function prove(uint64 epoch, address wallet, uint256 score, uint256 pd, bytes32 featuresHash, bytes32[] calldata proof) external;

    /// @notice A wallet's last proved score: `valid` unless its epoch was invalidated (or none was proved);
    /// `isFinal` once the epoch's challenge window has passed; `timestamp` is the epoch's publication time.
    function scoreOf(address wallet)
        external
        view
        returns (uint256 score, uint256 pd, uint64 epoch, bytes32 modelId, uint256 timestamp, bool isFinal, bool valid);

    /// @notice Recomputes a leaf's score on-chain; invalidates the epoch and pays its bond to the caller if the
    /// published score or PD differs. Reverts with CreditScoreRegistryChallengeFailed when the leaf is right.
    function challenge(Claim calldata claim, bytes calldata features, bytes calldata weights, bytes32[] calldata proof) external;

    /// @notice The publisher takes its bond back once the window has passed unchallenged.
    function withdrawBond(uint64 epoch) external;

    /// @notice The double-hashed leaf of OpenZeppelin's StandardMerkleTree for (wallet, score, pd, featuresHash).
    function leafHash(address wallet, uint256 score, uint256 pd, bytes32 featuresHash) external pure returns (bytes32);

    /// @notice An epoch as stored, its model id and its publisher.
    function epochOf(uint64 epoch) external view returns (Epoch memory stored, bytes32 modelId, address publisher);

    /// @notice EIP-712 digest the signers sign for an epoch.
    function epochDigest(uint64 epoch, bytes32 root, bytes32 modelId, uint64 walletCount) external view returns (bytes32);

    /// @notice Wei a publisher must bond per epoch; seconds an epoch stays open to challenges; the highest epoch.
    function requiredBond() external view returns (uint256);
    function challengeWindow() external view returns (uint256);
    function latestEpoch() external view returns (uint64);

    /// @notice DAO only: the bond (whole gwei) and the challenge window (seconds, applies to later epochs).
    function setSettings(uint256 bond, uint256 challengeWindow) external;
}
