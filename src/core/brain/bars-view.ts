// The bar store as the brain's strategy side may see it: only bars of sessions completed at the
// clock's now. In a replay the store holds bars after the simulated day; without this cut the
// exit manager's strategy exit (last bar of the series) and reconcile's ATR stop would read the
// future. The sim broker keeps the full store: its intraday price path of the current session is
// what the market shows at that instant. Series are cached while data/cache/index.json is
// unchanged, so a replay decodes each symbol once and a prefetch is seen at once.
import { BarStore, fileSignature, type BarIndex } from '../data/store.js';
import { lastCompletedSession } from '../market/sessions.js';
import type { Clock } from '../ports/clock.js';
import { dayNumber, isoDay, sliceSeries, type BarSeries } from '../strategy/bars.js';

/** Bars through the last completed session at the clock's now, cached per index version. */
export class CompletedBarStore extends BarStore {
  private signature = '';
  private full = new Map<string, BarSeries | Error>();
  private idx: BarIndex | null = null;
  private cutDay = -1;
  private cut = new Map<string, BarSeries>();

  constructor(dir: string, private readonly clock: Clock, home?: string) {
    super(dir, () => clock.now(), home);
  }

  private fresh(): void {
    const sig = fileSignature(this.indexFile);
    if (sig !== this.signature) {
      this.signature = sig;
      this.full.clear();
      this.cut.clear();
      this.idx = null;
    }
    const day = dayNumber(lastCompletedSession(this.clock.now()));
    if (day !== this.cutDay) {
      this.cutDay = day;
      this.cut.clear();
    }
  }

  private fullSeries(symbol: string): BarSeries {
    let s = this.full.get(symbol);
    if (s === undefined) {
      try {
        s = super.load(symbol, { verifyCrc: true });
      } catch (err) {
        s = err as Error;
      }
      this.full.set(symbol, s);
    }
    if (s instanceof Error) throw s;
    return s;
  }

  /** The series cut after the last completed session (views, no copy). */
  override load(symbol: string): BarSeries {
    this.fresh();
    return this.loadCut(symbol);
  }

  private loadCut(symbol: string): BarSeries {
    let c = this.cut.get(symbol);
    if (!c) {
      const s = this.fullSeries(symbol);
      let n = s.length;
      while (n > 0 && s.dates[n - 1] > this.cutDay) n--;
      c = n === s.length ? s : sliceSeries(s, n);
      this.cut.set(symbol, c);
    }
    return c;
  }

  /** The index with bar counts and last dates as of the cut, so readers agree with load(). */
  override index(): BarIndex {
    this.fresh();
    this.idx ??= super.index();
    const out: BarIndex = { version: 1, symbols: {} };
    const cutIso = isoDay(this.cutDay);
    for (const [sym, e] of Object.entries(this.idx.symbols)) {
      if (!e.last || e.last <= cutIso) {
        out.symbols[sym] = e;
        continue;
      }
      try {
        const s = this.loadCut(sym);
        out.symbols[sym] = { ...e, bars: s.length, first: s.length ? isoDay(s.dates[0]) : null, last: s.length ? isoDay(s.dates[s.length - 1]) : null };
      } catch {
        out.symbols[sym] = e;
      }
    }
    return out;
  }
}
