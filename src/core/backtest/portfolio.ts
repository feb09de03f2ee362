// Portfolio simulation over the session axis (SPEC sections 5 and 7). Each day, in order:
//  1. the open: entries chosen at the previous close fill at the open with slippage, never beyond
//     the cash on hand (no margin);
//  2. exits of every open position on its bar of the day (exits.ts), sells net of SEC/TAF fees;
//  3. the close: mark to market, cash + positions = equity;
//  4. decisions at the close: the day's signals in the scanner's ranking order take the free slots
//     (max open positions, minus positions and entries already waiting), one position per symbol,
//     sized on the close's equity with the signal's entry and stop.
// Per-symbol state lives in typed arrays indexed by symbol; nothing is allocated per bar.
import type { StrategyParams } from '../config/schema.js';
import { tradable, EXIT_END, HOLD, type OpenPosition, exitAt, exitPrice } from './exits.js';
import { positionSize } from '../risk/gate.js';
import { buyFill, sellFees, sellFill } from './costs.js';
import { SkipCounter, isoDays, makeTrade, newCurve, sortTrades, strategyIndex } from './curve.js';
import type { Prepared } from './prepare.js';
import type { BacktestSettings, EquityCurve, ProgressFn, Trade } from './types.js';

/** What a simulator returns. */
export interface Simulation {
  trades: Trade[];
  curve: EquityCurve;
  counts: SkipCounter;
}

const { floor, min } = Math;

/** Run the portfolio over the prepared data. */
export function simulatePortfolio(prep: Prepared, p: StrategyParams, st: BacktestSettings, onProgress?: ProgressFn): Simulation {
  const { series, features, bad, dayOf, days, signals, sigSym, dayStart } = prep;
  const S = series.length;
  const D = days.length;
  const maxOpen = st.maxOpenPositions;
  const bps = st.slippageBps;
  const curve = newCurve(days);
  const counts = new SkipCounter();
  const trades: Trade[] = [];
  const iso = isoDays(days);

  const qty = new Float64Array(S);
  const mark = new Float64Array(S);
  const cost = new Float64Array(S);
  const fillPx = new Float64Array(S);
  const lastBar = new Int32Array(S); // last bar processed for an open position
  const sigOf = new Int32Array(S);
  const stratOf = new Uint8Array(S);
  const waiting = new Uint8Array(S);
  const pos: Array<OpenPosition | null> = new Array<OpenPosition | null>(S).fill(null);
  const open = new Int32Array(maxOpen);
  let nOpen = 0;
  const pendSig = new Int32Array(maxOpen);
  const pendQty = new Float64Array(maxOpen);
  const pendDay = new Int32Array(maxOpen);
  let nPend = 0;
  let cash = st.startingCash;
  let peak = cash;
  const realised = new Float64Array(2);
  const held = new Float64Array(2);
  const unreal = new Float64Array(2);

  for (const sig of signals) counts.total[strategyIndex(sig)]++;

  for (let d = 0; d < D; d++) {
    // 1. The open: fill the entries decided for today, in ranking order.
    let w = 0;
    for (let i = 0; i < nPend; i++) {
      if (pendDay[i] !== d) {
        pendSig[w] = pendSig[i];
        pendQty[w] = pendQty[i];
        pendDay[w++] = pendDay[i];
        continue;
      }
      const k = pendSig[i];
      const sig = signals[k];
      const s = sigSym[k];
      const si = strategyIndex(sig);
      const e = sig.bar + 1;
      waiting[s] = 0;
      if (!tradable(series[s].open[e])) {
        counts.skip(si, 'bad_fill_bar');
        continue;
      }
      const raw = series[s].open[e];
      // Buying at or under the stop is a trade the risk gate would size to zero shares.
      if (!(raw > sig.stop)) {
        counts.skip(si, 'open_below_stop');
        continue;
      }
      // At or beyond the target there is no edge left either (SPEC section 7).
      if (sig.target !== null && raw >= sig.target) {
        counts.skip(si, 'open_above_target');
        continue;
      }
      const fill = buyFill(raw, bps);
      const q = min(pendQty[i], floor(cash / fill));
      if (!(q > 0)) {
        counts.skip(si, 'cash');
        continue;
      }
      cash -= q * fill;
      qty[s] = q;
      cost[s] = q * fill;
      fillPx[s] = fill;
      mark[s] = raw;
      lastBar[s] = e - 1;
      sigOf[s] = k;
      stratOf[s] = si;
      pos[s] = { entryBar: e, stop: sig.stop, target: sig.target ?? NaN, timeStopBars: sig.time_stop_bars, ibsRsi: si === 0 };
      open[nOpen++] = s;
      counts.traded[si]++;
    }
    nPend = w;

    // 2. Exits, on each open symbol's bar of the day (a symbol without one simply holds).
    for (let j = nOpen - 1; j >= 0; j--) {
      const s = open[j];
      const b = lastBar[s] + 1;
      const ser = series[s];
      if (b >= ser.length || dayOf[s][b] !== d) continue;
      lastBar[s] = b;
      let code = exitAt(ser, features[s], p, bad[s], pos[s]!, b);
      if (code === HOLD) {
        if (!bad[s][b]) mark[s] = ser.close[b];
        if (b < ser.length - 1) continue;
        code = EXIT_END; // the symbol's last bar in the run
        exitPrice[0] = mark[s];
      }
      const q = qty[s];
      const fill = sellFill(exitPrice[0], bps);
      const fees = sellFees(q * fill, q);
      cash += q * fill - fees;
      const sig = signals[sigOf[s]];
      const t = makeTrade(sig, iso[dayOf[s][pos[s]!.entryBar]], fillPx[s], iso[d], fill, q, fees, b - pos[s]!.entryBar, code);
      trades.push(t);
      realised[stratOf[s]] += t.pnl;
      qty[s] = 0;
      pos[s] = null;
      open[j] = open[--nOpen];
    }

    // 3. The close: mark to market.
    held[0] = held[1] = unreal[0] = unreal[1] = 0;
    for (let j = 0; j < nOpen; j++) {
      const s = open[j];
      const v = qty[s] * mark[s];
      held[stratOf[s]] += v;
      unreal[stratOf[s]] += v - cost[s];
    }
    const value = held[0] + held[1];
    const equity = cash + value;
    if (equity > peak) peak = equity;
    curve.cash[d] = cash;
    curve.positions[d] = value;
    curve.equity[d] = equity;
    curve.drawdown[d] = equity / peak - 1;
    curve.openPositions[d] = nOpen;
    for (let k = 0; k < 2; k++) {
      curve.byStrategy[k][d] = st.startingCash + realised[k] + unreal[k];
      curve.positionsByStrategy[k][d] = held[k];
    }

    // 4. Decisions at the close for tomorrow's open.
    let slots = maxOpen - nOpen - nPend;
    for (let k = dayStart[d]; k < dayStart[d + 1]; k++) {
      const sig = signals[k];
      const s = sigSym[k];
      const si = strategyIndex(sig);
      const e = sig.bar + 1;
      if (e >= series[s].length) counts.skip(si, 'no_next_bar');
      else if (qty[s] > 0 || waiting[s]) counts.skip(si, 'symbol_held');
      else if (slots <= 0) counts.skip(si, 'no_slot');
      else {
        const q = positionSize(equity, sig.entry, sig.stop, st.riskPct, st.maxPositionPct);
        if (q <= 0) counts.skip(si, 'size_zero');
        else {
          pendSig[nPend] = k;
          pendQty[nPend] = q;
          pendDay[nPend++] = dayOf[s][e];
          waiting[s] = 1;
          slots--;
        }
      }
    }
    if (onProgress && ((d & 255) === 255 || d === D - 1)) onProgress('simulate', d + 1, D);
  }
  return { trades: sortTrades(trades), curve, counts };
}
