// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {CreditScoreRegistry} from "./CreditScoreRegistry.sol";

/// @title CreditLine
/// @notice An example consumer of CreditScoreRegistry: an under-collateralised credit pool in one ERC-20 whose
/// limit per wallet grows linearly with its proved score above a floor. Only final (unchallenged past the window),
/// valid and fresh scores count. Lenders deposit and withdraw what is not lent; there is no interest in this example.
contract CreditLine is Ownable {
    using SafeERC20 for IERC20;

    error CreditLineScoreInvalid(address wallet);
    error CreditLineScoreNotFinal(address wallet);
    error CreditLineScoreStale(address wallet, uint256 age, uint256 maxAge);
    error CreditLineScoreTooLow(address wallet, uint256 score, uint256 minScore);
    error CreditLineLimitExceeded(address wallet, uint256 requested, uint256 available);
    error CreditLineInsufficientLiquidity(uint256 requested, uint256 available);
    error CreditLineNothingToRepay(address wallet);

    /// @notice Emitted on each movement of funds.
    event Deposited(address indexed lender, uint256 amount);
    event Withdrawn(address indexed lender, uint256 amount);
    event Borrowed(address indexed borrower, uint256 amount, uint256 debt, uint256 limit, uint256 score);
    event Repaid(address indexed borrower, uint256 amount, uint256 debt);

    uint256 public constant MAX_SCORE = 850;

    CreditScoreRegistry public immutable registry;
    IERC20 public immutable asset;
    uint256 public immutable minScore;
    uint256 public immutable maxLimit;
    uint256 public immutable maxScoreAge;

    mapping(address lender => uint256) public deposits;
    mapping(address borrower => uint256) public debtOf;

    constructor(address dao, CreditScoreRegistry registry_, IERC20 asset_, uint256 minScore_, uint256 maxLimit_, uint256 maxScoreAge_) Ownable(dao) {
        registry = registry_;
        asset = asset_;
        minScore = minScore_;
        maxLimit = maxLimit_;
        maxScoreAge = maxScoreAge_;
    }

    /// @notice The wallet's credit limit from its proved score; reverts with the reason when it has none.
    function limitOf(address wallet) public view returns (uint256 limit, uint256 score) {
        (uint256 s,,,, uint256 timestamp, bool isFinal, bool valid) = registry.scoreOf(wallet);
        if (!valid) revert CreditLineScoreInvalid(wallet);
        if (!isFinal) revert CreditLineScoreNotFinal(wallet);
        if (block.timestamp - timestamp > maxScoreAge) revert CreditLineScoreStale(wallet, block.timestamp - timestamp, maxScoreAge);
        if (s < minScore) revert CreditLineScoreTooLow(wallet, s, minScore);
        return (maxLimit * (s - minScore) / (MAX_SCORE - minScore), s);
    }

    function deposit(uint256 amount) external {
        deposits[msg.sender] += amount;
        emit Deposited(msg.sender, amount);
        asset.safeTransferFrom(msg.sender, address(this), amount);
    }

    function withdraw(uint256 amount) external {
        uint256 available = asset.balanceOf(address(this));
        if (amount > available) revert CreditLineInsufficientLiquidity(amount, available);
        deposits[msg.sender] -= amount;
        emit Withdrawn(msg.sender, amount);
        asset.safeTransfer(msg.sender, amount);
    }

    function borrow(uint256 amount) external {
        (uint256 limit, uint256 score) = limitOf(msg.sender);
        uint256 debt = debtOf[msg.sender] + amount;
        if (debt > limit) revert CreditLineLimitExceeded(msg.sender, amount, limit - debtOf[msg.sender]);
        uint256 available = asset.balanceOf(address(this));
        if (amount > available) revert CreditLineInsufficientLiquidity(amount, available);
        debtOf[msg.sender] = debt;
        emit Borrowed(msg.sender, amount, debt, limit, score);
        asset.safeTransfer(msg.sender, amount);
    }

    function repay(uint256 amount) external {
        uint256 debt = debtOf[msg.sender];
        if (debt == 0) revert CreditLineNothingToRepay(msg.sender);
        uint256 paid = amount > debt ? debt : amount;
        debtOf[msg.sender] = debt - paid;
        emit Repaid(msg.sender, paid, debt - paid);
        asset.safeTransferFrom(msg.sender, address(this), paid);
    }
}
