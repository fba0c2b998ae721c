// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IModelRegistry
/// @notice The register of models: each model's id (keccak256 of its artifact), the hash of its quantised weights
/// (what the on-chain verifier checks a challenger's weights against), its feature-spec hash, kind, metrics and
/// status. The DAO registers models directly; anyone else submits one with a bond and a claim (the keccak256 of
/// the canonical evaluation the submitter published, on a named public snapshot). Anyone who cannot reproduce the
/// claim disputes it with a bond of their own; the DAO decides, and the loser's bond goes to the winner. Only the
/// DAO makes a model active (the one in force for its kind; the previous one retires) or retires it. Each model
/// also gets a small sequential index, which the credit registry stores instead of the 32-byte id.
interface IModelRegistry {
    enum Kind {
        Credit,
        Collateral
    }

    enum Status {
        Unknown,
        Candidate,
        Active,
        Retired,
        Disputed,
        Rejected
    }

    struct Model {
        bytes32 weightsHash;
        bytes32 featureSpecHash;
        Kind kind;
        Status status;
        uint16 index;
        string metricsURI;
    }

    /// @notice A submission's claim and the bonds at stake (all zero for a model the DAO registered itself).
    struct Submission {
        address submitter;
        uint96 bond;
        address disputer;
        uint96 disputeBond;
        /// keccak256 of the evaluation snapshot file the claim is on.
        bytes32 snapshotId;
        /// keccak256 of the canonical evaluation JSON the submitter claims `evaluate` gives.
        bytes32 claimHash;
    }

    error ModelRegistryAlreadyRegistered(bytes32 modelId);
    error ModelRegistryUnknownModel(bytes32 modelId);
    error ModelRegistryNotUsableForCredit(bytes32 modelId, Kind kind, Status status);
    error ModelRegistryFull(uint256 count);
    error ModelRegistryWrongBond(uint256 expected, uint256 sent);
    error ModelRegistryEmptyClaim();
    error ModelRegistryNotDisputable(bytes32 modelId, Status status);
    error ModelRegistryNotDisputed(bytes32 modelId);
    error ModelRegistryBadTransition(bytes32 modelId, Status from, Status to);
    error ModelRegistryNothingOwed(address account);
    error ModelRegistryTransferFailed(address account);

    /// @notice Emitted when a model is registered or submitted (as a candidate).
    event ModelRegistered(bytes32 indexed modelId, uint16 index, bytes32 weightsHash, bytes32 featureSpecHash, Kind kind, string metricsURI);
    /// @notice Emitted when anyone submits a model with a bond and a claim.
    event ModelSubmitted(bytes32 indexed modelId, address indexed submitter, uint256 bond, bytes32 snapshotId, bytes32 claimHash);
    /// @notice Emitted when a model's claim is disputed.
    event ModelDisputed(bytes32 indexed modelId, address indexed disputer, uint256 bond, bytes32 evidenceHash);
    /// @notice Emitted when the DAO decides a dispute; `upheld` means the claim did not reproduce.
    event DisputeResolved(bytes32 indexed modelId, bool upheld, address winner, uint256 award);
    /// @notice Emitted when a model's status changes.
    event ModelStatusChanged(bytes32 indexed modelId, Status oldStatus, Status newStatus);
    /// @notice Emitted when the DAO changes the bonds.
    event BondsSet(uint256 submissionBond, uint256 disputeBond);
    /// @notice Emitted when an account withdraws what it is owed (released bonds, awards).
    event Withdrawn(address indexed account, uint256 amount);

    /// @notice DAO only: registers a model as a candidate and gives it the next index (from 1).
    function register(bytes32 modelId, bytes32 weightsHash, bytes32 featureSpecHash, Kind kind, string calldata metricsURI) external;

    /// @notice Anyone: submits a model as a candidate with exactly `submissionBond` and a claim to be reproduced.
    function submit(
        bytes32 modelId,
        bytes32 weightsHash,
        bytes32 featureSpecHash,
        Kind kind,
        string calldata metricsURI,
        bytes32 snapshotId,
        bytes32 claimHash
    ) external payable;

    /// @notice Anyone: disputes a submitted candidate's claim with exactly `disputeBond`; `evidenceHash` points at
    /// the disputer's own evaluation.
    function dispute(bytes32 modelId, bytes32 evidenceHash) external payable;

    /// @notice DAO only: decides a dispute. Upheld: the model is rejected and both bonds go to the disputer.
    /// Not upheld: the model is a candidate again and the dispute bond goes to the submitter.
    function resolveDispute(bytes32 modelId, bool upheld) external;

    /// @notice DAO only: makes a candidate active (in force for its kind; the previous active model retires) or
    /// retires a candidate or active model. A submitter's bond is released when its model leaves candidacy.
    function setStatus(bytes32 modelId, Status status) external;

    /// @notice DAO only: the bonds for new submissions and disputes.
    function setBonds(uint96 submissionBond, uint96 disputeBond) external;

    /// @notice Sends the caller what it is owed.
    function withdraw() external;

    /// @notice A registered model (status Unknown when never registered).
    function model(bytes32 modelId) external view returns (Model memory);

    /// @notice A model's submission (zeros when the DAO registered it).
    function submission(bytes32 modelId) external view returns (Submission memory);

    /// @notice The model in force for `kind` (zero when none).
    function activeModel(Kind kind) external view returns (bytes32);

    /// @notice What `account` may withdraw.
    function owed(address account) external view returns (uint256);

    /// @notice The quantised weights' hash of a registered model (zero when unknown).
    function weightsHashOf(bytes32 modelId) external view returns (bytes32);

    /// @notice The index of a credit model that may score an epoch (candidate or active); reverts otherwise.
    function creditModelIndex(bytes32 modelId) external view returns (uint16);

    /// @notice The model id registered under `index` (zero when none).
    function modelIdAt(uint16 index) external view returns (bytes32);
}
