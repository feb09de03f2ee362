// Split detection for reconcile (SPEC sections 5 and 6). After a split the broker shows the same
// position as more (or fewer) shares at a proportionally lower (higher) average price; read as two
// mismatches, the ledger would keep pre-split stop and target levels and the exit manager would
// sell on a "stop" the price never traded through. The quantity/price shape alone is enough to
// tell; a split the data provider recorded only confirms it.

/** A split ratio as shares after : shares before (2:1 forward, 1:2 reverse). */
export interface SplitRatio {
  to: number;
  from: number;
  /** to / from: shares after per share before; prices divide by it. */
  ratio: number;
}

/** How far quantity and price ratios may sit from each other and from a split ratio. */
const TOLERANCE = 0.01;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

// n:1 and 1:n up to 1:100 (reverse splits run that deep), and the small fractions seen in practice
// (3:2, 5:4, 4:3, 5:2 ...). Nothing between 4:5 and 5:4, so a fill that moved qty a little is never one.
const CANDIDATES: SplitRatio[] = (() => {
  const out: SplitRatio[] = [];
  const add = (to: number, from: number) => out.push({ to, from, ratio: to / from });
  for (let n = 2; n <= 100; n++) {
    add(n, 1);
    add(1, n);
  }
  for (let from = 2; from <= 5; from++) {
    for (let to = from + 1; to <= 2 * from + 1; to++) {
      if (gcd(to, from) !== 1 || to / from < 1.25) continue;
      add(to, from);
      add(from, to);
    }
  }
  return out;
})();

/**
 * The split that turns ledger (qty, avg) into broker (qty, avg), or null: broker qty / ledger qty
 * and ledger avg / broker avg must agree within 1% and sit within 1% of a split ratio (the qty may
 * be a little short of it: brokers pay cash in lieu of fractional shares).
 */
export function splitRatio(ledgerQty: number, ledgerAvg: number, brokerQty: number, brokerAvg: number): SplitRatio | null {
  if (!(ledgerQty > 0 && ledgerAvg > 0 && brokerQty > 0 && brokerAvg > 0) || ledgerQty === brokerQty) return null;
  const q = brokerQty / ledgerQty;
  const p = ledgerAvg / brokerAvg;
  if (Math.abs(q / p - 1) > TOLERANCE) return null;
  let best: SplitRatio | null = null;
  for (const c of CANDIDATES) {
    const off = Math.abs(q / c.ratio - 1);
    if (off <= TOLERANCE && (!best || off < Math.abs(q / best.ratio - 1))) best = c;
  }
  return best;
}

/** "2:1" / "1:2". */
export function splitName(r: SplitRatio): string {
  return `${r.to}:${r.from}`;
}

/** A price level after the split, in cents. */
export function splitPrice(level: number, r: SplitRatio): number {
  return Math.round((level * r.from / r.to) * 100) / 100;
}

/** A split the bar store's index recorded for the symbol after `since` with this ratio (either convention), or null. */
export function recordedSplit(splits: ReadonlyArray<{ date: string; ratio: number }> | undefined, since: string | null, r: SplitRatio): { date: string; ratio: number } | null {
  const near = (a: number, b: number) => Math.abs(a / b - 1) <= TOLERANCE;
  return (splits ?? []).find((s) => (since === null || s.date > since) && (near(s.ratio, r.ratio) || near(s.ratio, 1 / r.ratio))) ?? null;
}
