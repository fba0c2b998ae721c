// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IModelRegistry
/// @notice The DAO's register of models: each model's id (keccak256 of its artifact), the hash of its quantised
/// weights (what the on-chain verifier checks a challenger's weights against), its feature-spec hash, kind,
/// metrics and status. Each model also gets a small sequential index, which the credit registry stores instead of
/// the 32-byte id.
interface IModelRegistry {
    enum Kind {
        Credit,
        Collateral
    }

    enum Status {
        Unknown,
        Candidate,
        Active,
        Retired
    }

    struct Model {
        bytes32 weightsHash;
        bytes32 featureSpecHash;
        Kind kind;
        Status status;
        uint16 index;
        string metricsURI;
    }

    error ModelRegistryAlreadyRegistered(bytes32 modelId);
    error ModelRegistryUnknownModel(bytes32 modelId);
    error ModelRegistryNotUsableForCredit(bytes32 modelId, Kind kind, Status status);
    error ModelRegistryFull(uint256 count);

    /// @notice Emitted when the DAO registers a model (as a candidate).
    event ModelRegistered(bytes32 indexed modelId, uint16 index, bytes32 weightsHash, bytes32 featureSpecHash, Kind kind, string metricsURI);
    /// @notice Emitted when a model's status changes.
    event ModelStatusChanged(bytes32 indexed modelId, Status oldStatus, Status newStatus);

    /// @notice DAO only: registers a model as a candidate and gives it the next index (from 1).
    function register(bytes32 modelId, bytes32 weightsHash, bytes32 featureSpecHash, Kind kind, string calldata metricsURI) external;

    /// @notice DAO only: makes a model active, or retires it.
    function setStatus(bytes32 modelId, Status status) external;

    /// @notice A registered model (status Unknown when never registered).
    function model(bytes32 modelId) external view returns (Model memory);

    /// @notice The quantised weights' hash of a registered model (zero when unknown).
    function weightsHashOf(bytes32 modelId) external view returns (bytes32);

    /// @notice The index of a credit model that may score an epoch (candidate or active); reverts otherwise.
    function creditModelIndex(bytes32 modelId) external view returns (uint16);

    /// @notice The model id registered under `index` (zero when none).
    function modelIdAt(uint16 index) external view returns (bytes32);
}
