// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ICreditLine} from "./interfaces/ICreditLine.sol";
import {ICreditScoreRegistry} from "./interfaces/ICreditScoreRegistry.sol";

/// @title CreditLine
/// @notice See {ICreditLine}. Owned by the DAO's timelock.
contract CreditLine is ICreditLine, Ownable {
    using SafeERC20 for IERC20;

    uint256 private constant MAX_SCORE = 850;
    uint256 private constant PERCENTAGE_FACTOR = 1e4;

    /// @inheritdoc ICreditLine
    IERC20 public immutable token;
    /// @inheritdoc ICreditLine
    ICreditScoreRegistry public immutable registry;
    Terms private _terms;
    mapping(address wallet => Position) private _positions;
    mapping(address lender => uint256) private _supplied;
    /// @dev Collateral held for borrowers: the pool's idle liquidity is its balance minus this.
    uint256 private _collateralTotal;

    constructor(address dao, IERC20 token_, ICreditScoreRegistry registry_, Terms memory terms_) Ownable(dao) {
        token = token_;
        registry = registry_;
        _setTerms(terms_);
    }

    // ---------------------------------------------------------------- lenders

    /// @inheritdoc ICreditLine
    function supply(uint256 amount) external {
        if (amount == 0) revert CreditLineZeroAmount();
        uint256 old = _supplied[msg.sender];
        _supplied[msg.sender] = old + amount;
        emit Supplied(msg.sender, amount, old, old + amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc ICreditLine
    function withdraw(uint256 amount) external {
        uint256 old = _supplied[msg.sender];
        if (amount == 0) revert CreditLineZeroAmount();
        if (amount > old) revert CreditLineWithdrawTooMuch(msg.sender, amount, old);
        _requireLiquidity(amount);
        _supplied[msg.sender] = old - amount;
        emit Withdrawn(msg.sender, amount, old, old - amount);
        token.safeTransfer(msg.sender, amount);
    }

    // ---------------------------------------------------------------- borrowers

    /// @inheritdoc ICreditLine
    function borrow(uint256 amount) external {
        if (amount == 0) revert CreditLineZeroAmount();
        uint256 score = _usableScore(msg.sender);
        (uint256 limit, uint256 collateralBps) = limitOf(score);
        Position memory p = _positions[msg.sender];
        uint256 debt = p.debt + amount;
        if (debt > limit) revert CreditLineLimitExceeded(msg.sender, debt, limit);
        _requireLiquidity(amount);
        uint256 required = (debt * collateralBps + PERCENTAGE_FACTOR - 1) / PERCENTAGE_FACTOR;
        uint256 added = required > p.collateral ? required - p.collateral : 0;
        _positions[msg.sender] = Position(uint128(debt), uint128(p.collateral + added));
        _collateralTotal += added;
        emit Borrowed(msg.sender, amount, score, added, p.debt, debt);
        if (added > 0) token.safeTransferFrom(msg.sender, address(this), added);
        token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc ICreditLine
    function repay(uint256 amount) external {
        Position memory p = _positions[msg.sender];
        if (amount == 0) revert CreditLineZeroAmount();
        if (amount > p.debt) revert CreditLineRepayTooMuch(msg.sender, amount, p.debt);
        uint256 debt = p.debt - amount;
        // collateral stays proportional to the debt it secures; all of it comes back with the last repayment
        uint256 keep = debt == 0 ? 0 : (uint256(p.collateral) * debt + p.debt - 1) / p.debt;
        uint256 released = p.collateral - keep;
        _positions[msg.sender] = Position(uint128(debt), uint128(keep));
        _collateralTotal -= released;
        emit Repaid(msg.sender, amount, released, p.debt, debt);
        token.safeTransferFrom(msg.sender, address(this), amount);
        if (released > 0) token.safeTransfer(msg.sender, released);
    }

    /// @dev The wallet's score, if proved, valid, final, fresh and at least the minimum.
    function _usableScore(address wallet) private view returns (uint256) {
        (uint256 score,, uint64 epoch,, uint256 timestamp, bool isFinal, bool valid) = registry.scoreOf(wallet);
        if (epoch == 0) revert CreditLineNoScore(wallet);
        if (!valid) revert CreditLineScoreInvalidated(wallet, epoch);
        if (!isFinal) revert CreditLineScoreNotFinal(wallet, epoch);
        Terms memory t = _terms;
        uint256 age = block.timestamp - timestamp;
        if (age > t.maxScoreAge) revert CreditLineScoreStale(wallet, age, t.maxScoreAge);
        if (score < t.minScore) revert CreditLineScoreTooLow(wallet, score, t.minScore);
        return score;
    }

    function _requireLiquidity(uint256 amount) private view {
        uint256 available = token.balanceOf(address(this)) - _collateralTotal;
        if (amount > available) revert CreditLineInsufficientLiquidity(amount, available);
    }

    // ---------------------------------------------------------------- views and terms

    /// @inheritdoc ICreditLine
    function limitOf(uint256 score) public view returns (uint256 limit, uint256 collateralBps) {
        Terms memory t = _terms;
        if (score < t.minScore) return (0, t.maxCollateralBps);
        uint256 above = (score > MAX_SCORE ? MAX_SCORE : score) - t.minScore;
        uint256 span = MAX_SCORE - t.minScore;
        limit = (uint256(t.maxCredit) * above) / span;
        collateralBps = t.maxCollateralBps - ((uint256(t.maxCollateralBps) - t.minCollateralBps) * above) / span;
    }

    /// @inheritdoc ICreditLine
    function terms() external view returns (Terms memory) {
        return _terms;
    }

    /// @inheritdoc ICreditLine
    function positionOf(address wallet) external view returns (Position memory) {
        return _positions[wallet];
    }

    /// @inheritdoc ICreditLine
    function suppliedBy(address lender) external view returns (uint256) {
        return _supplied[lender];
    }

    /// @inheritdoc ICreditLine
    function setTerms(Terms calldata newTerms) external onlyOwner {
        _setTerms(newTerms);
    }

    function _setTerms(Terms memory t) private {
        if (t.minScore >= MAX_SCORE || t.minCollateralBps > t.maxCollateralBps || t.maxCollateralBps > PERCENTAGE_FACTOR) {
            revert CreditLineInvalidTerms();
        }
        emit TermsSet(_terms, t);
        _terms = t;
    }
}
