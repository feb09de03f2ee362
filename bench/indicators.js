// Issue "Speed where operators wait", indicator row: RSI(2) Wilder + ATR(14) Wilder + SMA(200) over
// 900 deterministic random walks x 2,520 bars, kobe vs @ixjb94/indicators vs technicalindicators on
// the same data (each library given what it takes; conversion not timed; median of a few runs).
// Prints ms per library and kobe's speed-up over the fastest peer (target >= 2x), then the max abs
// difference per indicator against kobe once the libraries' conventions are aligned, naming them.
import { atrWilder, rsiWilder, sma } from '../dist/core/strategy/indicators.js';
import { figure, fmt, median } from './lib.js';

const SERIES = 900;
const BARS = 2520;
const RSI_N = 2;
const ATR_N = 14;
const SMA_N = 200;

/** mulberry32: a small deterministic PRNG in [0, 1). */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const cents = (x) => Math.round(x * 100) / 100;

/** Daily OHLC random walks in cents (so flat closes, hence flat RSI(2) windows, do occur). */
function walks() {
  const rnd = prng(20240607);
  const out = [];
  for (let s = 0; s < SERIES; s++) {
    const high = new Float64Array(BARS);
    const low = new Float64Array(BARS);
    const close = new Float64Array(BARS);
    let c = 20 + rnd() * 180;
    const vol = 0.005 + rnd() * 0.03;
    for (let t = 0; t < BARS; t++) {
      const open = cents(c * (1 + (rnd() - 0.5) * vol));
      // Some sessions close unchanged, and every 100th series opens with a halted week: RSI conventions
      // differ on windows with no move at all.
      c = rnd() < 0.03 || (s % 100 === 0 && t < 6) ? c : Math.max(1, cents(open * (1 + (rnd() - 0.5) * 2 * vol)));
      close[t] = c;
      high[t] = cents(Math.max(open, c) * (1 + rnd() * vol * 0.5));
      low[t] = cents(Math.min(open, c) * (1 - rnd() * vol * 0.5));
    }
    out.push({ high, low, close });
  }
  return out;
}

/** Median ms of `runs` timed passes of fn over every series, after one untimed warm-up pass. */
function bench(series, runs, fn) {
  let sink = 0;
  for (const s of series) sink += fn(s);
  const xs = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    for (const s of series) sink += fn(s);
    xs.push(performance.now() - t);
  }
  if (sink === 42) process.stdout.write('');
  return median(xs);
}

/** Max |a - b| over indices where both are numbers; counts where exactly one is NaN (alignment bug). */
function diff(kobe, other, offset, acc, skip = () => false) {
  for (let k = 0; k < other.length; k++) {
    const t = k + offset;
    const a = kobe[t];
    const b = other[k];
    if (skip(t, b)) continue;
    if (Number.isNaN(a) !== Number.isNaN(b)) acc.nanMismatch++;
    else if (!Number.isNaN(a)) acc.max = Math.max(acc.max, Math.abs(a - b));
  }
  // Every kobe value before the peer's first one must be NaN (same warm-up).
  for (let t = 0; t < offset; t++) if (!Number.isNaN(kobe[t])) acc.nanMismatch++;
  if (kobe.length - offset !== other.length) acc.lenMismatch++;
}

const acc0 = () => ({ max: 0, nanMismatch: 0, lenMismatch: 0 });
const show = (a) => `${a.max.toExponential(2)}${a.nanMismatch ? `; ${a.nanMismatch} NaN mismatches` : ''}${a.lenMismatch ? `; ${a.lenMismatch} length mismatches` : ''}`;

export async function run() {
  let IX;
  let TI;
  try {
    IX = new (await import('@ixjb94/indicators')).default.IndicatorsSync();
    TI = (await import('technicalindicators')).default;
  } catch (e) {
    return figure('[indicators vs peers]', 'skipped', `(devDependencies absent: ${e.code ?? e.message})`);
  }
  const series = walks();
  // What the peers take: plain number arrays (their declared input types); converted once, untimed.
  const plain = series.map((s) => ({ high: Array.from(s.high), low: Array.from(s.low), close: Array.from(s.close) }));
  const bars = SERIES * BARS;

  const kobe = (s) => rsiWilder(s.close, RSI_N)[BARS - 1] + atrWilder(s.high, s.low, s.close, ATR_N)[BARS - 1] + sma(s.close, SMA_N)[BARS - 1];
  const ix = (s) => {
    const r = IX.rsi(s.close, RSI_N);
    const a = IX.atr(s.high, s.low, s.close, ATR_N);
    const m = IX.sma(s.close, SMA_N);
    return r[r.length - 1] + a[a.length - 1] + m[m.length - 1];
  };
  const ti = (s) => {
    const r = TI.RSI.calculate({ values: s.close, period: RSI_N });
    const a = TI.ATR.calculate({ high: s.high, low: s.low, close: s.close, period: ATR_N });
    const m = TI.SMA.calculate({ values: s.close, period: SMA_N });
    return r[r.length - 1] + a[a.length - 1] + m[m.length - 1];
  };

  const tKobe = bench(series, 7, kobe);
  const tIx = bench(plain, 7, ix);
  const tIxTyped = bench(series, 7, ix); // its loops only index, so it also runs on Float64Arrays
  const tTi = bench(plain, 3, ti);
  const peers = [['@ixjb94/indicators (number[])', tIx], ['@ixjb94/indicators (Float64Array)', tIxTyped], ['technicalindicators (number[])', tTi]];
  const [fastName, fastMs] = peers.reduce((m, p) => (p[1] < m[1] ? p : m));
  figure(`[${SERIES}x${BARS}, RSI(${RSI_N})+ATR(${ATR_N})+SMA(${SMA_N})] kobe ms`, fmt(tKobe, 1), `${fmt(bars / tKobe / 1e3, 0)}M bars/s`);
  for (const [name, ms] of peers) figure(`  ${name} ms`, fmt(ms, 1), `kobe ${fmt(ms / tKobe, 2)}x faster`);
  figure('  kobe speed-up vs the fastest peer', `${fmt(fastMs / tKobe, 2)}x`, `target >= 2x (fastest: ${fastName})`);

  // Agreement. kobe outputs the input's length with NaN during warm-up; both peers return only the
  // defined values, so peer[k] is kobe[k + first index].
  const d = { ixRsi: acc0(), ixRsiFlat: 0, ixAtr: acc0(), ixSma: acc0(), tiRsi: acc0(), tiRsiRaw: acc0(), tiRsiFlat: 0, tiAtrRaw: acc0(), tiAtr: acc0(), tiAtrLate: acc0(), tiSma: acc0() };
  for (let i = 0; i < SERIES; i++) {
    const s = series[i];
    const p = plain[i];
    const kr = rsiWilder(s.close, RSI_N);
    const ka = atrWilder(s.high, s.low, s.close, ATR_N);
    const km = sma(s.close, SMA_N);
    // A flat RSI: average gain and loss both exactly 0 (Wilder averages never decay back to 0, so only
    // while no close has moved since the seed window): kobe 50 (SPEC section 7), @ixjb94 100 x 0/0 = NaN.
    const ixFlat = (t, b) => kr[t] === 50 && Number.isNaN(b) && ++d.ixRsiFlat > 0;
    diff(kr, IX.rsi(p.close, RSI_N), RSI_N, d.ixRsi, ixFlat);
    diff(ka, IX.atr(p.high, p.low, p.close, ATR_N), ATR_N - 1, d.ixAtr);
    diff(km, IX.sma(p.close, SMA_N), SMA_N - 1, d.ixSma);

    // technicalindicators rounds RSI to 2 decimals and gives 100 when the average loss is 0 even with
    // no gain (kobe: 50): compare kobe rounded the same way, flat windows apart.
    const tr = TI.RSI.calculate({ values: p.close, period: RSI_N });
    const krRounded = kr.map((v) => (Number.isNaN(v) ? v : parseFloat(v.toFixed(2))));
    diff(krRounded, tr, RSI_N, d.tiRsi, (t, b) => kr[t] === 50 && b === 100 && ++d.tiRsiFlat > 0);
    diff(kr, tr, RSI_N, d.tiRsiRaw, (t, b) => kr[t] === 50 && b === 100);
    // technicalindicators has no true range at bar 0 (kobe: H - L), so its ATR is seeded by TR 1..14
    // and starts one bar later. Raw: compare as is. Aligned: a phantom bar before bar 0 closing inside
    // bar 0's range makes its TR at bar 0 equal H - L, i.e. kobe's convention.
    const ta = TI.ATR.calculate({ high: p.high, low: p.low, close: p.close, period: ATR_N });
    diff(ka, ta, ATR_N, d.tiAtrRaw);
    diff(ka, ta, ATR_N, d.tiAtrLate, (t) => t < 250);
    const mid = (p.high[0] + p.low[0]) / 2;
    const taAligned = TI.ATR.calculate({ high: [mid, ...p.high], low: [mid, ...p.low], close: [mid, ...p.close], period: ATR_N });
    diff(ka, taAligned, ATR_N - 1, d.tiAtr);
    diff(km, TI.SMA.calculate({ values: p.close, period: SMA_N }), SMA_N - 1, d.tiSma);
  }
  figure('  max |diff|, @ixjb94 RSI(2), flat windows apart', show(d.ixRsi), `${d.ixRsiFlat} flat windows: NaN (0/0) there, kobe 50`);
  figure('  max |diff|, @ixjb94 ATR(14)', show(d.ixAtr), 'same seeding (TR0 = H - L, mean of 14)');
  figure('  max |diff|, @ixjb94 SMA(200)', show(d.ixSma), 'running sum never rebuilt, x (1/n)');
  figure('  max |diff|, technicalindicators RSI(2), at 2 dp', show(d.tiRsi), `vs kobe rounded to 2 dp; unrounded kobe: ${d.tiRsiRaw.max.toExponential(2)}; ${d.tiRsiFlat} flat windows: 100, kobe 50`);
  figure('  max |diff|, technicalindicators ATR(14), aligned', show(d.tiAtr), `phantom bar 0; raw (seeded TR1..14, starts at 14): ${d.tiAtrRaw.max.toExponential(2)}, from bar 250: ${d.tiAtrLate.max.toExponential(2)}`);
  figure('  max |diff|, technicalindicators SMA(200)', show(d.tiSma), 'running sum never rebuilt, / n');
}
