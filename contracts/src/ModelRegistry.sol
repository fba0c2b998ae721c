// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title ModelRegistry
/// @notice The DAO's register of models: each model's id (keccak256 of its artifact), the hash of its quantised
/// weights (what the on-chain verifier checks a challenger's weights against), its feature-spec hash and kind.
contract ModelRegistry is Ownable {
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
        string metricsURI;
    }

    error ModelRegistryAlreadyRegistered(bytes32 modelId);
    error ModelRegistryUnknownModel(bytes32 modelId);

    /// @notice Emitted when the DAO registers a model.
    event ModelRegistered(bytes32 indexed modelId, bytes32 weightsHash, bytes32 featureSpecHash, Kind kind, string metricsURI);
    /// @notice Emitted when a model's status changes.
    event ModelStatusChanged(bytes32 indexed modelId, Status oldStatus, Status newStatus);

    mapping(bytes32 modelId => Model) private _models;

    constructor(address dao) Ownable(dao) {}

    /// @notice DAO only: registers a model as a candidate.
    function register(bytes32 modelId, bytes32 weightsHash, bytes32 featureSpecHash, Kind kind, string calldata metricsURI) external onlyOwner {
        if (_models[modelId].status != Status.Unknown) revert ModelRegistryAlreadyRegistered(modelId);
        _models[modelId] = Model(weightsHash, featureSpecHash, kind, Status.Candidate, metricsURI);
        emit ModelRegistered(modelId, weightsHash, featureSpecHash, kind, metricsURI);
    }

    /// @notice DAO only: makes a model active, or retires it.
    function setStatus(bytes32 modelId, Status status) external onlyOwner {
        Model storage m = _models[modelId];
        if (m.status == Status.Unknown) revert ModelRegistryUnknownModel(modelId);
        emit ModelStatusChanged(modelId, m.status, status);
        m.status = status;
    }

    /// @notice A registered model (status Unknown when never registered).
    function model(bytes32 modelId) external view returns (Model memory) {
        return _models[modelId];
    }

    /// @notice The quantised weights' hash of a registered model (zero when unknown).
    function weightsHashOf(bytes32 modelId) external view returns (bytes32) {
        return _models[modelId].weightsHash;
    }
}
