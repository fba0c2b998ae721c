// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";

/// @title ModelRegistry
/// @notice See {IModelRegistry}. Owned by the DAO's timelock. Bonds move by pull payment: a decision only credits
/// accounts, and each account withdraws for itself, so no transfer can block a decision.
contract ModelRegistry is IModelRegistry, Ownable {
    mapping(bytes32 modelId => Model) private _models;
    mapping(bytes32 modelId => Submission) private _submissions;
    mapping(uint16 index => bytes32 modelId) private _byIndex;
    mapping(Kind kind => bytes32 modelId) private _active;
    mapping(address account => uint256) private _owed;
    uint16 private _count;
    uint96 public submissionBond;
    uint96 public disputeBond;

    constructor(address dao, uint96 submissionBond_, uint96 disputeBond_) Ownable(dao) {
        submissionBond = submissionBond_;
        disputeBond = disputeBond_;
        emit BondsSet(submissionBond_, disputeBond_);
    }

    /// @inheritdoc IModelRegistry
    function register(bytes32 modelId, bytes32 weightsHash, bytes32 featureSpecHash, Kind kind, string calldata metricsURI) external onlyOwner {
        _add(modelId, weightsHash, featureSpecHash, kind, metricsURI);
    }

    /// @inheritdoc IModelRegistry
    function submit(
        bytes32 modelId,
        bytes32 weightsHash,
        bytes32 featureSpecHash,
        Kind kind,
        string calldata metricsURI,
        bytes32 snapshotId,
        bytes32 claimHash
    ) external payable {
        if (msg.value != submissionBond) revert ModelRegistryWrongBond(submissionBond, msg.value);
        if (snapshotId == bytes32(0) || claimHash == bytes32(0)) revert ModelRegistryEmptyClaim();
        _add(modelId, weightsHash, featureSpecHash, kind, metricsURI);
        _submissions[modelId] = Submission(msg.sender, uint96(msg.value), address(0), 0, snapshotId, claimHash);
        emit ModelSubmitted(modelId, msg.sender, msg.value, snapshotId, claimHash);
    }

    /// @inheritdoc IModelRegistry
    function dispute(bytes32 modelId, bytes32 evidenceHash) external payable {
        Model storage m = _models[modelId];
        Submission storage s = _submissions[modelId];
        if (m.status != Status.Candidate || s.submitter == address(0)) revert ModelRegistryNotDisputable(modelId, m.status);
        if (msg.value != disputeBond) revert ModelRegistryWrongBond(disputeBond, msg.value);
        (s.disputer, s.disputeBond) = (msg.sender, uint96(msg.value));
        _setStatus(modelId, m, Status.Disputed);
        emit ModelDisputed(modelId, msg.sender, msg.value, evidenceHash);
    }

    /// @inheritdoc IModelRegistry
    function resolveDispute(bytes32 modelId, bool upheld) external onlyOwner {
        Model storage m = _models[modelId];
        if (m.status != Status.Disputed) revert ModelRegistryNotDisputed(modelId);
        Submission storage s = _submissions[modelId];
        uint256 award = uint256(s.bond) + s.disputeBond;
        address winner = upheld ? s.disputer : s.submitter;
        _owed[winner] += award;
        (s.bond, s.disputeBond, s.disputer) = (0, 0, address(0));
        if (!upheld) {
            // the submitter keeps its model's candidacy and gets its bond back with the disputer's
            _setStatus(modelId, m, Status.Candidate);
        } else {
            _setStatus(modelId, m, Status.Rejected);
        }
        emit DisputeResolved(modelId, upheld, winner, award);
    }

    /// @inheritdoc IModelRegistry
    function setStatus(bytes32 modelId, Status status) external onlyOwner {
        Model storage m = _models[modelId];
        Status old = m.status;
        if (old == Status.Unknown) revert ModelRegistryUnknownModel(modelId);
        bool activating = status == Status.Active && old == Status.Candidate;
        bool retiring = status == Status.Retired && (old == Status.Candidate || old == Status.Active);
        if (!activating && !retiring) revert ModelRegistryBadTransition(modelId, old, status);
        if (activating) {
            bytes32 previous = _active[m.kind];
            if (previous != bytes32(0)) _setStatus(previous, _models[previous], Status.Retired);
            _active[m.kind] = modelId;
        } else if (old == Status.Active) {
            delete _active[m.kind];
        }
        _release(modelId);
        _setStatus(modelId, m, status);
    }

    /// @inheritdoc IModelRegistry
    function setBonds(uint96 submissionBond_, uint96 disputeBond_) external onlyOwner {
        (submissionBond, disputeBond) = (submissionBond_, disputeBond_);
        emit BondsSet(submissionBond_, disputeBond_);
    }

    /// @inheritdoc IModelRegistry
    function withdraw() external {
        uint256 amount = _owed[msg.sender];
        if (amount == 0) revert ModelRegistryNothingOwed(msg.sender);
        _owed[msg.sender] = 0;
        (bool ok, ) = msg.sender.call{value: amount}("");
        if (!ok) revert ModelRegistryTransferFailed(msg.sender);
        emit Withdrawn(msg.sender, amount);
    }

    /// @inheritdoc IModelRegistry
    function model(bytes32 modelId) external view returns (Model memory) {
        return _models[modelId];
    }

    /// @inheritdoc IModelRegistry
    function submission(bytes32 modelId) external view returns (Submission memory) {
        return _submissions[modelId];
    }

    /// @inheritdoc IModelRegistry
    function activeModel(Kind kind) external view returns (bytes32) {
        return _active[kind];
    }

    /// @inheritdoc IModelRegistry
    function owed(address account) external view returns (uint256) {
        return _owed[account];
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

    function _add(bytes32 modelId, bytes32 weightsHash, bytes32 featureSpecHash, Kind kind, string calldata metricsURI) private {
        if (_models[modelId].status != Status.Unknown) revert ModelRegistryAlreadyRegistered(modelId);
        if (_count == type(uint16).max) revert ModelRegistryFull(_count);
        uint16 index = ++_count;
        _models[modelId] = Model(weightsHash, featureSpecHash, kind, Status.Candidate, index, metricsURI);
        _byIndex[index] = modelId;
        emit ModelRegistered(modelId, index, weightsHash, featureSpecHash, kind, metricsURI);
    }

    /// The submitter's bond goes back once its model leaves candidacy without a dispute against it.
    function _release(bytes32 modelId) private {
        Submission storage s = _submissions[modelId];
        uint96 bond = s.bond;
        if (bond == 0) return;
        s.bond = 0;
        _owed[s.submitter] += bond;
    }

    function _setStatus(bytes32 modelId, Model storage m, Status status) private {
        emit ModelStatusChanged(modelId, m.status, status);
        m.status = status;
    }
}
