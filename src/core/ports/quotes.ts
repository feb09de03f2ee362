/** A top-of-book quote. */
export interface Quote {
  symbol: string;
  bid: number;
  ask: number;
  /** When the quote was observed (UTC ISO). */
  ts: string;
}

/** Latest quotes for entry pricing (SPEC section 5: stale quotes are refused). */
export interface Quotes {
  latestQuote(symbol: string): Promise<Quote | null>;
}
