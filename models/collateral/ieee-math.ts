/**
 * exp and log with a fixed sequence of IEEE-754 double operations (+, −, ×, ÷ and exponent bit edits, each
 * correctly rounded by the standard), ported from fdlibm (e_exp.c, e_log.c; Sun Microsystems, freely
 * distributable). `Math.exp` and `Math.log` are implementation-defined in ECMAScript: two engines, or two
 * versions of one, may differ in the last bit. These cannot, so the canonical collateral model gives every signer
 * the same bits. (V8 ships the same fdlibm algorithms today; the tests check that they agree.)
 */

const view = new DataView(new ArrayBuffer(8));
const hi = (x: number): number => {
  view.setFloat64(0, x);
  return view.getInt32(0);
};
const lo = (x: number): number => {
  view.setFloat64(0, x);
  return view.getUint32(4);
};
const withHi = (x: number, high: number): number => {
  view.setFloat64(0, x);
  view.setInt32(0, high);
  return view.getFloat64(0);
};

const LN2_HI = 6.9314718036912381649e-1; // 0x3fe62e42 fee00000
const LN2_LO = 1.90821492927058770002e-10; // 0x3dea39ef 35793c76
const INV_LN2 = 1.442695040888963387;
const O_THRESHOLD = 7.09782712893383973096e2;
const U_THRESHOLD = -7.4513321910194110842e2;
const TWO_M1000 = 9.3326361850321887899e-302;
const P1 = 1.66666666666666019037e-1;
const P2 = -2.77777777770155933842e-3;
const P3 = 6.61375632143793436117e-5;
const P4 = -1.6533902205465251539e-6;
const P5 = 4.13813679705723846039e-8;

/** e^x (fdlibm __ieee754_exp). */
export function canonicalExp(x: number): number {
  let hx = hi(x);
  const negative = hx < 0;
  hx &= 0x7fffffff;
  if (hx >= 0x40862e42) {
    if (hx >= 0x7ff00000) {
      if (Number.isNaN(x)) return x;
      return negative ? 0 : x;
    }
    if (x > O_THRESHOLD) return Infinity;
    if (x < U_THRESHOLD) return 0;
  }
  let k = 0;
  let high = 0;
  let low = 0;
  if (hx > 0x3fd62e42) {
    if (hx < 0x3ff0a2b2) {
      high = negative ? x + LN2_HI : x - LN2_HI;
      low = negative ? -LN2_LO : LN2_LO;
      k = negative ? -1 : 1;
    } else {
      k = Math.trunc(INV_LN2 * x + (negative ? -0.5 : 0.5));
      high = x - k * LN2_HI; // exact: k·LN2_HI has few significant bits
      low = k * LN2_LO;
    }
    x = high - low;
  } else if (hx < 0x3e300000) {
    return 1 + x;
  }
  const t = x * x;
  const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k === 0) return 1 - ((x * c) / (c - 2) - x);
  const y = 1 - (low - (x * c) / (2 - c) - high);
  if (k >= -1021) return withHi(y, hi(y) + (k << 20));
  return withHi(y, hi(y) + ((k + 1000) << 20)) * TWO_M1000;
}

const TWO54 = 1.8014398509481984e16;
const LG1 = 6.66666666666673513e-1;
const LG2 = 3.999999999940941908e-1;
const LG3 = 2.857142874366239149e-1;
const LG4 = 2.222219843214978396e-1;
const LG5 = 1.818357216161805012e-1;
const LG6 = 1.531383769920937332e-1;
const LG7 = 1.479819860511658591e-1;

/** Natural logarithm (fdlibm __ieee754_log). */
export function canonicalLog(x: number): number {
  let hx = hi(x);
  let k = 0;
  if (hx < 0x00100000) {
    if (((hx & 0x7fffffff) | lo(x)) === 0) return -Infinity;
    if (hx < 0) return NaN;
    k -= 54;
    x *= TWO54; // subnormal: scale up
    hx = hi(x);
  }
  if (hx >= 0x7ff00000) return x + x;
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  const i0 = (hx + 0x95f64) & 0x100000;
  x = withHi(x, hx | (i0 ^ 0x3ff00000)); // x or x/2 into [sqrt(2)/2, sqrt(2))
  k += i0 >> 20;
  const f = x - 1;
  const dk = k;
  if ((0x000fffff & (2 + hx)) < 3) {
    if (f === 0) return k === 0 ? 0 : dk * LN2_HI + dk * LN2_LO;
    const r = f * f * (0.5 - 0.3333333333333333 * f);
    return k === 0 ? f - r : dk * LN2_HI - (r - dk * LN2_LO - f);
  }
  const s = f / (2 + f);
  const z = s * s;
  let i = hx - 0x6147a;
  const w = z * z;
  const j = 0x6b851 - hx;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  i |= j;
  const r = t2 + t1;
  if (i > 0) {
    const hfsq = 0.5 * f * f;
    return k === 0 ? f - (hfsq - s * (hfsq + r)) : dk * LN2_HI - (hfsq - (s * (hfsq + r) + dk * LN2_LO) - f);
  }
  return k === 0 ? f - s * (f - r) : dk * LN2_HI - (s * (f - r) - dk * LN2_LO - f);
}

/**
 * softplus(x) = ln(1 + eˣ), computed as max(x, 0) + ln(1 + e^−|x|) so that eˣ never overflows. Where e^−|x| is
 * below half an ulp of 1 the second term is 0: an absolute error under 1.2e-16.
 */
export function canonicalSoftplus(x: number): number {
  const e = canonicalExp(-Math.abs(x));
  return (x > 0 ? x : 0) + canonicalLog(1 + e);
}
