// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";

/// @title ModelRegistry
/// @notice See {IModelRegistry}. Owned by the DAO's timelock.
contract ModelRegistry is IModelRegistry, Ownable {
    mapping(bytes32 modelId => Model) private _models;
    mapping(uint16 index => bytes32 modelId) private _byIndex;
    uint16 private _count;

    constructor(address dao) Ownable(dao) {}

    /// @inheritdoc IModelRegistry
    function register(bytes32 modelId, bytes32 weightsHash, bytes32 featureSpecHash, Kind kind, string calldata metricsURI) external onlyOwner {
        if (_models[modelId].status != Status.Unknown) revert ModelRegistryAlreadyRegistered(modelId);
        if (_count == type(uint16).max) revert ModelRegistryFull(_count);
        uint16 index = ++_count;
        _models[modelId] = Model(weightsHash, featureSpecHash, kind, Status.Candidate, index, metricsURI);
        _byIndex[index] = modelId;
        emit ModelRegistered(modelId, index, weightsHash, featureSpecHash, kind, metricsURI);
    }

    /// @inheritdoc IModelRegistry
    function setStatus(bytes32 modelId, Status status) external onlyOwner {
        Model storage m = _models[modelId];
        Status old = m.status;
        if (old == Status.Unknown) revert ModelRegistryUnknownModel(modelId);
        m.status = status;
        emit ModelStatusChanged(modelId, old, status);
    }

    /// @inheritdoc IModelRegistry
    function model(bytes32 modelId) external view returns (Model memory) {
        return _models[modelId];
    }

    /// @inheritdoc IModelRegistry
    function weightsHashOf(bytes32 modelId) external view returns (bytes32) {
        return _models[modelId].weightsHash;
    }

    /// @inheritdoc IModelRegistry
    function creditModelIndex(bytes32 modelId) external view returns (uint16) {
        Model storage m = _models[modelId];
        (Kind kind, Status status) = (m.kind, m.status);
        if (kind != Kind.Credit || (status != Status.Candidate && status != Status.Active)) {
            revert ModelRegistryNotUsableForCredit(modelId, kind, status);
        }
        return m.index;
    }

    /// @inheritdoc IModelRegistry
    function modelIdAt(uint16 index) external view returns (bytes32) {
        return _byIndex[index];
    }
}
