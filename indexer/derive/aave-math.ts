/**
 * Aave V3's fixed-point arithmetic, exactly as `@aave/core-v3` 1.19 (v3.0.2) does it on-chain (WadRayMath,
 * PercentageMath, MathUtils, ReserveLogic, GenericLogic), so derived balances and health factors equal the Pool's
 * to the wei.
 */
export const RAY = 10n ** 27n;
const HALF_RAY = RAY / 2n;
const WAD = 10n ** 18n;
const SECONDS_PER_YEAR = 365n * 86_400n;

/** `a × b / RAY`, rounded half up (WadRayMath.rayMul). */
export const rayMul = (a: bigint, b: bigint): bigint => (a * b + HALF_RAY) / RAY;
/** `a × RAY / b`, rounded half up (WadRayMath.rayDiv). */
export const rayDiv = (a: bigint, b: bigint): bigint => (a * RAY + b / 2n) / b;
const wadDiv = (a: bigint, b: bigint): bigint => (a * WAD + b / 2n) / b;
const percentMul = (value: bigint, bps: bigint): bigint => (value * bps + 5_000n) / 10_000n;

/**
 * The scaled balance `s` with `rayMul(s, index) === amount`: unique while `index ≥ RAY` (Aave's indexes never go
 * below it), so a balance stored as an amount at a known index gives its scaled balance back exactly. Falls back to
 * `rayDiv` for an amount no scaled balance maps to (rows written by another derivation).
 */
export function unscale(amount: bigint, index: bigint): bigint {
  if (amount === 0n) return 0n;
  const estimate = (amount * RAY) / index;
  for (const s of [estimate, estimate + 1n, estimate - 1n]) if (s >= 0n && rayMul(s, index) === amount) return s;
  return rayDiv(amount, index);
}

/** A reserve's state as its last `ReserveDataUpdated` left it. */
export interface ReserveState {
  /** Unix seconds of the update's block (Aave's `lastUpdateTimestamp`). */
  timestamp: number;
  liquidityRate: bigint;
  variableBorrowRate: bigint;
  liquidityIndex: bigint;
  variableBorrowIndex: bigint;
}

/** ReserveLogic.getNormalizedIncome at `now` (linear interest since the last update). */
export function normalizedIncome(r: ReserveState | undefined, now: number): bigint {
  if (!r) return RAY;
  if (now <= r.timestamp) return r.liquidityIndex;
  const linear = RAY + (r.liquidityRate * BigInt(now - r.timestamp)) / SECONDS_PER_YEAR;
  return rayMul(linear, r.liquidityIndex);
}

/** ReserveLogic.getNormalizedDebt at `now` (MathUtils.calculateCompoundedInterest's three-term expansion). */
export function normalizedDebt(r: ReserveState | undefined, now: number): bigint {
  if (!r) return RAY;
  if (now <= r.timestamp) return r.variableBorrowIndex;
  const exp = BigInt(now - r.timestamp);
  const rate = r.variableBorrowRate;
  const expMinusOne = exp - 1n;
  const expMinusTwo = exp > 2n ? exp - 2n : 0n;
  const basePowerTwo = rayMul(rate, rate) / (SECONDS_PER_YEAR * SECONDS_PER_YEAR);
  const basePowerThree = rayMul(basePowerTwo, rate) / SECONDS_PER_YEAR;
  const second = (exp * expMinusOne * basePowerTwo) / 2n;
  const third = (exp * expMinusOne * expMinusTwo * basePowerThree) / 6n;
  return rayMul(RAY + (rate * exp) / SECONDS_PER_YEAR + second + third, r.variableBorrowIndex);
}

/** One reserve of a wallet, valued for GenericLogic.calculateUserAccountData. */
export interface AccountReserve {
  /** aToken balance (scaled × normalized income) and variable debt (scaled × normalized debt), in asset units. */
  collateral: bigint;
  debt: bigint;
  usingAsCollateral: boolean;
  /** Base-currency price (8 decimals on Aave V3 markets priced in USD). */
  price: bigint;
  decimals: number;
  /** The reserve's liquidation threshold in basis points (0: not collateral, in e-mode too). */
  liquidationThreshold: number;
  /** The wallet's e-mode category's threshold, when the reserve is in that category: it replaces the reserve's. */
  eModeLiquidationThreshold?: number | undefined;
}

export interface AccountData {
  totalCollateralBase: bigint;
  totalDebtBase: bigint;
  /** WAD; undefined when there is no debt (the Pool answers `type(uint256).max`). */
  healthFactor: bigint | undefined;
}

/** GenericLogic.calculateUserAccountData (v3.0) without stable debt; e-mode through `eModeLiquidationThreshold` and the prices given. */
export function accountData(reserves: Iterable<AccountReserve>): AccountData {
  let collateral = 0n;
  let weighted = 0n;
  let debt = 0n;
  for (const r of reserves) {
    const unit = 10n ** BigInt(r.decimals);
    if (r.liquidationThreshold !== 0 && r.usingAsCollateral) {
      const value = (r.collateral * r.price) / unit;
      collateral += value;
      weighted += value * BigInt(r.eModeLiquidationThreshold ?? r.liquidationThreshold);
    }
    if (r.debt !== 0n) debt += (r.debt * r.price) / unit;
  }
  const threshold = collateral === 0n ? 0n : weighted / collateral;
  return {
    totalCollateralBase: collateral,
    totalDebtBase: debt,
    healthFactor: debt === 0n ? undefined : wadDiv(percentMul(collateral, threshold), debt),
  };
}
