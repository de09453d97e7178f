// Amounts and rates between what a person types and what the API takes: rates typed in percent
// (3.85) are sent as fractions ("0.0385", at most six places); yuan with at most two places.

/** 3.85 (percent, as typed) → "0.0385" (the API's fraction, at most six places). */
export function pctToFraction(pct: number): string {
  return String(Math.round(pct * 1e4) / 1e6)
}

/** "0.0385" → 3.85 */
export function fractionToPct(fraction: string | number): number {
  return Math.round(Number(fraction) * 1e6) / 1e4
}

/** Yuan with at most two places, as the API takes them. */
export function moneyText(amount: number): string {
  return String(Math.round(amount * 100) / 100)
}
