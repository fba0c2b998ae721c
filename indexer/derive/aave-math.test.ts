import fc from 'fast-check';
import { accountData, normalizedDebt, normalizedIncome, RAY, rayDiv, rayMul, unscale } from './aave-math';

describe("Aave V3's fixed-point arithmetic", () => {
  it('gives a scaled balance back exactly from its amount at any index of at least one ray', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.bigInt({ min: RAY, max: 50n * RAY }), (scaled, index) => {
        expect(unscale(rayMul(scaled, index), index)).toBe(scaled);
      }),
      { numRuns: 2_000 },
    );
  });

  it('rounds half up like WadRayMath, and accrues like ReserveLogic', () => {
    expect(rayMul(3n, RAY / 2n)).toBe(2n); // 1.5 → 2
    expect(rayDiv(1n, 3n * RAY)).toBe(0n); // 0.33 → 0
    const state = {
      timestamp: 1_000,
      liquidityRate: RAY / 10n,
      variableBorrowRate: RAY / 5n,
      liquidityIndex: RAY,
      variableBorrowIndex: RAY,
    };
    const year = 365 * 86_400;
    expect(normalizedIncome(state, 1_000)).toBe(RAY); // updated in this block: the stored index
    expect(normalizedIncome(state, 1_000 + year)).toBe(RAY + RAY / 10n); // linear: 10 % a year
    const debt = normalizedDebt(state, 1_000 + year); // compounded (three terms of the expansion): just under e^0.2
    expect(Number(debt) / 1e27).toBeCloseTo(Math.exp(0.2), 3);
    expect(debt).toBeLessThan(BigInt(Math.round(Math.exp(0.2) * 1e9)) * 10n ** 18n);
    expect(normalizedIncome(undefined, 5)).toBe(RAY);
  });

  it('values an account as GenericLogic does: thresholds averaged by value, no debt no health factor', () => {
    const weth = { decimals: 18, price: 2_000n * 10n ** 8n, liquidationThreshold: 8_000, usingAsCollateral: true };
    const usdc = { decimals: 6, price: 10n ** 8n, liquidationThreshold: 8_500, usingAsCollateral: true };
    const account = accountData([
      { ...weth, collateral: 10n ** 18n, debt: 0n },
      { ...usdc, collateral: 1_000n * 10n ** 6n, debt: 1_500n * 10n ** 6n },
    ]);
    expect(account.totalCollateralBase).toBe(3_000n * 10n ** 8n);
    expect(account.totalDebtBase).toBe(1_500n * 10n ** 8n);
    // average threshold (2 000 × 8 000 + 1 000 × 8 500) / 3 000 = 8 166 (integer division), 3 000 × 0.8166 / 1 500
    expect(account.healthFactor).toBe((3_000n * 8_166n * 10n ** 18n) / (10_000n * 1_500n));
    expect(accountData([{ ...weth, collateral: 10n ** 18n, debt: 0n }]).healthFactor).toBeUndefined();
    // collateral switched off, or at a zero threshold, does not count
    expect(accountData([{ ...weth, usingAsCollateral: false, collateral: 10n ** 18n, debt: 0n }]).totalCollateralBase).toBe(0n);
    expect(accountData([{ ...weth, liquidationThreshold: 0, collateral: 10n ** 18n, debt: 0n }]).totalCollateralBase).toBe(0n);
  });

  it("takes an e-mode category's threshold for the assets in it, and none for a reserve at a zero threshold", () => {
    const weth = { decimals: 18, price: 2_000n * 10n ** 8n, liquidationThreshold: 8_000, usingAsCollateral: true };
    const debt = {
      decimals: 18,
      price: 2_000n * 10n ** 8n,
      liquidationThreshold: 8_000,
      usingAsCollateral: false,
      collateral: 0n,
      debt: 10n ** 18n,
    };
    const plain = accountData([{ ...weth, collateral: 10n ** 18n, debt: 0n }, debt]);
    const emode = accountData([{ ...weth, eModeLiquidationThreshold: 9_300, collateral: 10n ** 18n, debt: 0n }, debt]);
    expect(plain.healthFactor).toBe((8_000n * 10n ** 18n) / 10_000n);
    expect(emode.healthFactor).toBe((9_300n * 10n ** 18n) / 10_000n);
    // GenericLogic checks the reserve's own threshold before e-mode's: a reserve at zero is no collateral in e-mode either
    const zero = accountData([
      { ...weth, liquidationThreshold: 0, eModeLiquidationThreshold: 9_300, collateral: 10n ** 18n, debt: 0n },
      debt,
    ]);
    expect(zero.totalCollateralBase).toBe(0n);
  });
});
