// Per-signal simulation (`--per-signal`): every signal is one share on its own, with no cash, no
// slots and no one-position-per-symbol rule, as the Python system's published figures were made.
// Same fills and exit rules as the portfolio (next open with slippage, exits.ts); no fees, because
// at one share they are a cent-rounding artefact rather than a cost. The curve is cumulative P&L in
// dollars: cash starts at 0 and goes negative by the cost of open trades.
import type { StrategyParams } from '../config/schema.js';
import { tradable, EXIT_END, HOLD, exitAt, exitPrice } from './exits.js';
import { buyFill, sellFill } from './costs.js';
import { SkipCounter, isoDays, makeTrade, newCurve, sortTrades, strategyIndex } from './curve.js';
import type { Simulation } from './portfolio.js';
import type { Prepared } from './prepare.js';
import type { BacktestSettings, ProgressFn, Trade } from './types.js';

/** Run every signal as a one-share trade. */
export function simulatePerSignal(prep: Prepared, p: StrategyParams, st: BacktestSettings, onProgress?: ProgressFn): Simulation {
  const { series, features, bad, dayOf, days, signals, sigSym } = prep;
  const D = days.length;
  const bps = st.slippageBps;
  const curve = newCurve(days);
  const counts = new SkipCounter();
  const trades: Trade[] = [];
  const iso = isoDays(days);
  const cashDelta = [new Float64Array(D), new Float64Array(D)];
  const N = signals.length;

  for (let k = 0; k < N; k++) {
    const sig = signals[k];
    const s = sigSym[k];
    const si = strategyIndex(sig);
    counts.total[si]++;
    const ser = series[s];
    const e = sig.bar + 1;
    if (e >= ser.length) {
      counts.skip(si, 'no_next_bar');
      continue;
    }
    if (!tradable(ser.open[e])) {
      counts.skip(si, 'bad_fill_bar');
      continue;
    }
    const raw = ser.open[e];
    if (!(raw > sig.stop)) {
      counts.skip(si, 'open_below_stop');
      continue;
    }
    if (sig.target !== null && raw >= sig.target) {
      counts.skip(si, 'open_above_target');
      continue;
    }
    counts.traded[si]++;
    const fill = buyFill(raw, bps);
    const map = dayOf[s];
    cashDelta[si][map[e]] -= fill;
    const pos = { entryBar: e, stop: sig.stop, target: sig.target ?? NaN, timeStopBars: sig.time_stop_bars, ibsRsi: si === 0 };
    const held = curve.positionsByStrategy[si];
    let mark = raw;
    let b = e;
    let code = HOLD;
    for (;;) {
      code = exitAt(ser, features[s], p, bad[s], pos, b);
      if (code !== HOLD) break;
      if (!bad[s][b]) mark = ser.close[b];
      if (b === ser.length - 1) {
        code = EXIT_END;
        exitPrice[0] = mark;
        break;
      }
      // Open at the close of bar b, and through any sessions the symbol has no bar for.
      for (let dd = map[b], stop = map[b + 1]; dd < stop; dd++) {
        held[dd] += mark;
        curve.openPositions[dd]++;
      }
      b++;
    }
    const out = sellFill(exitPrice[0], bps);
    cashDelta[si][map[b]] += out;
    trades.push(makeTrade(sig, iso[map[e]], fill, iso[map[b]], out, 1, 0, b - e, code));
    if (onProgress && ((k & 1023) === 1023 || k === N - 1)) onProgress('simulate', k + 1, N);
  }

  let cash0 = 0;
  let cash1 = 0;
  let peak = 0;
  for (let d = 0; d < D; d++) {
    cash0 += cashDelta[0][d];
    cash1 += cashDelta[1][d];
    const h0 = curve.positionsByStrategy[0][d];
    const h1 = curve.positionsByStrategy[1][d];
    const equity = cash0 + cash1 + h0 + h1;
    if (equity > peak) peak = equity;
    curve.cash[d] = cash0 + cash1;
    curve.positions[d] = h0 + h1;
    curve.equity[d] = equity;
    curve.drawdown[d] = equity - peak;
    curve.byStrategy[0][d] = cash0 + h0;
    curve.byStrategy[1][d] = cash1 + h1;
  }
  return { trades: sortTrades(trades), curve, counts };
}
