// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ICreditScoreRegistry} from "./ICreditScoreRegistry.sol";

/// @title ICreditLine
/// @notice An example consumer of CreditScoreRegistry: an ERC-20 credit pool lending under-collateralised. A
/// wallet's credit limit grows linearly with its score above `minScore` (up to `maxCredit` at 850) and the
/// collateral it must post (in the same token) shrinks from `maxCollateralBps` to `minCollateralBps` of its debt.
/// Only valid, final and fresh scores count. Interest, liquidation and default handling are out of scope.
interface ICreditLine {
    /// @notice The DAO's terms (one slot).
    struct Terms {
        uint16 minScore;
        uint16 minCollateralBps;
        uint16 maxCollateralBps;
        uint32 maxScoreAge;
        uint128 maxCredit;
    }

    /// @notice A borrower's position (one slot).
    struct Position {
        uint128 debt;
        uint128 collateral;
    }

    error CreditLineNoScore(address wallet);
    error CreditLineScoreInvalidated(address wallet, uint64 epoch);
    error CreditLineScoreNotFinal(address wallet, uint64 epoch);
    error CreditLineScoreStale(address wallet, uint256 age, uint256 maxAge);
    error CreditLineScoreTooLow(address wallet, uint256 score, uint256 minScore);
    error CreditLineLimitExceeded(address wallet, uint256 debt, uint256 limit);
    error CreditLineInsufficientLiquidity(uint256 requested, uint256 available);
    error CreditLineRepayTooMuch(address wallet, uint256 amount, uint256 debt);
    error CreditLineWithdrawTooMuch(address lender, uint256 amount, uint256 supplied);
    error CreditLineInvalidTerms();
    error CreditLineZeroAmount();

    /// @notice Emitted when a lender supplies or withdraws liquidity.
    event Supplied(address indexed lender, uint256 amount, uint256 oldSupplied, uint256 supplied);
    event Withdrawn(address indexed lender, uint256 amount, uint256 oldSupplied, uint256 supplied);
    /// @notice Emitted when a wallet borrows (posting `collateralAdded`) or repays (getting `collateralReleased`).
    event Borrowed(address indexed wallet, uint256 amount, uint256 score, uint256 collateralAdded, uint256 oldDebt, uint256 debt);
    event Repaid(address indexed wallet, uint256 amount, uint256 collateralReleased, uint256 oldDebt, uint256 debt);
    /// @notice Emitted when the DAO changes the terms.
    event TermsSet(Terms oldTerms, Terms terms);

    /// @notice Lenders: adds liquidity (pulled with transferFrom).
    function supply(uint256 amount) external;

    /// @notice Lenders: takes back up to what they supplied, while the pool holds enough idle liquidity.
    function withdraw(uint256 amount) external;

    /// @notice Borrows `amount` within the score's limit, pulling the extra collateral the new debt requires.
    /// @dev Refuses a wallet without a proved score, an invalidated, non-final or stale one, or one below `minScore`.
    function borrow(uint256 amount) external;

    /// @notice Repays `amount` of debt and releases the collateral the remaining debt no longer needs.
    function repay(uint256 amount) external;

    /// @notice The credit limit and the collateral ratio (bps) a score earns under the current terms.
    function limitOf(uint256 score) external view returns (uint256 limit, uint256 collateralBps);

    /// @notice The token lent, the registry read, the terms, a position, and a lender's supply.
    function token() external view returns (IERC20);
    function registry() external view returns (ICreditScoreRegistry);
    function terms() external view returns (Terms memory);
    function positionOf(address wallet) external view returns (Position memory);
    function suppliedBy(address lender) external view returns (uint256);

    /// @notice DAO only: new terms (minScore < 850, minCollateralBps ≤ maxCollateralBps ≤ 10000).
    function setTerms(Terms calldata newTerms) external;
}
