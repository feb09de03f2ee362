// Trading costs of the portfolio backtest. Regulatory sell-side fees are fixed constants, not
// config: they are set by regulators, and a config knob would invite "optimising" them away.

/**
 * SEC Section 31 fee: $27.80 per million dollars of sell proceeds, as of fiscal 2024 (SEC fee rate
 * advisory, effective 2024-05-22). The SEC set $0.00 from 2025-05-14; the last non-zero rate is kept
 * so that a backtest never understates costs.
 */
export const SEC_FEE_PER_DOLLAR = 27.8 / 1_000_000;

/** FINRA Trading Activity Fee per share sold, as of 2024-01-01 (FINRA By-Laws, Schedule A, section 1). */
export const TAF_PER_SHARE = 0.000166;

/** FINRA TAF cap per trade, as of 2024-01-01. */
export const TAF_MAX_PER_TRADE = 8.3;

const { ceil, min } = Math;

/** Round a fee up to the cent, as brokers pass them on; the epsilon keeps 0.28 from becoming 0.29. */
function centsUp(x: number): number {
  return ceil(x * 100 - 1e-7) / 100;
}

/** SEC fee plus FINRA TAF on a sale of `shares` for `proceeds` dollars, each rounded up to the cent. */
export function sellFees(proceeds: number, shares: number): number {
  if (!(proceeds > 0) || !(shares > 0)) return 0;
  return centsUp(proceeds * SEC_FEE_PER_DOLLAR) + centsUp(min(shares * TAF_PER_SHARE, TAF_MAX_PER_TRADE));
}

/** Buy fill for a raw price: slippage always against you (higher). */
export function buyFill(raw: number, slippageBps: number): number {
  return raw * (1 + slippageBps / 10_000);
}

/** Sell fill for a raw price: slippage always against you (lower). */
export function sellFill(raw: number, slippageBps: number): number {
  return raw * (1 - slippageBps / 10_000);
}
