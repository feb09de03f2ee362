// Hand-built bar fixtures and a seeded random walk for the strategy tests.
import fs from 'node:fs';
import { StrategyParamsSchema, type StrategyParams } from '../../../src/core/config/schema.js';
import { type BarSeries, dayNumber, isoDay, seriesFromRows } from '../../../src/core/strategy/bars.js';

export interface Bar {
  o?: number;
  h: number;
  l: number;
  c: number;
  v?: number;
}

export const START = '2020-01-01';

/** The shipped frozen params, validated by the real schema. */
export const FROZEN: StrategyParams = StrategyParamsSchema.parse(
  JSON.parse(fs.readFileSync(new URL('../../../config/frozen_strategy_params.json', import.meta.url), 'utf8')),
);

type Overrides = {
  common?: Partial<StrategyParams['common']>;
  ibs_rsi?: Partial<StrategyParams['ibs_rsi']>;
  turtle_soup?: Partial<StrategyParams['turtle_soup']>;
};

/** Frozen params with some fields replaced. */
export function params(o: Overrides = {}): StrategyParams {
  return {
    version: 'test',
    common: { ...FROZEN.common, ...o.common },
    ibs_rsi: { ...FROZEN.ibs_rsi, ...o.ibs_rsi },
    turtle_soup: { ...FROZEN.turtle_soup, ...o.turtle_soup },
  };
}

/** A series of the given bars on consecutive calendar days from `start`. */
export function makeSeries(symbol: string, bars: readonly Bar[], start = START): BarSeries {
  const d0 = dayNumber(start);
  return seriesFromRows(symbol, bars.map((b, i) => ({ date: isoDay(d0 + i), open: b.o ?? b.c, high: b.h, low: b.l, close: b.c, volume: b.v ?? 1_000_000 })));
}

/** n bars of a steady uptrend: close 50 + 0.25 i, high/low half a dollar either side. */
export function uptrend(n: number): Bar[] {
  return Array.from({ length: n }, (_, i) => {
    const c = 50 + 0.25 * i;
    return { h: c + 0.5, l: c - 0.5, c };
  });
}

/** Bar index of the IBS+RSI dip in `dipBars()`. */
export const DIP_T = 250;

/** 250 uptrend bars then a weak close (IBS 0.2/6.2, Wilder RSI(2) 100 - 100/1.04): an IBS+RSI entry at DIP_T. */
export function dipBars(dip: Bar = { o: 111, h: 112, l: 105.8, c: 106 }): Bar[] {
  return [...uptrend(DIP_T), dip];
}

/** Bar index of the Turtle Soup sweep in `soupBars()`. */
export const SOUP_T = 250;

/**
 * 230 uptrend bars, 20 quiet bars (low 107.5), then bar SOUP_T sweeping below the window low at 106
 * (low 105.5) and closing back above it (107). `minAt` lists the bars (as t - index) holding 106.
 */
export function soupBars(minAt: number[] = [5], last: Bar = { o: 107.5, h: 108, l: 105.5, c: 107 }): Bar[] {
  const bars = uptrend(230);
  for (let i = 230; i < SOUP_T; i++) bars.push({ h: 108.5, l: 107.5, c: 108 });
  for (const ago of minAt) bars[SOUP_T - ago] = { h: 108.5, l: 106, c: 108 };
  bars.push(last);
  return bars;
}

/** Deterministic PRNG (mulberry32) returning [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded volatile random walk of daily bars with a few NaN rows (bad data) sprinkled in. */
export function randomWalk(symbol: string, n: number, seed: number, nanRows: number[] = [], wick = 0.008): BarSeries {
  const rnd = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() || 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const bars: Bar[] = [];
  let c = 100;
  for (let i = 0; i < n; i++) {
    const o = c * (1 + 0.006 * gauss());
    c = o * (1 + 0.02 * gauss() + 0.0005);
    const h = Math.max(o, c) * (1 + Math.abs(0.008 * gauss()));
    const l = Math.min(o, c) * (1 - Math.abs(wick * gauss()));
    bars.push({ o, h, l, c, v: 200_000 + 100_000 * rnd() });
  }
  for (const i of nanRows) bars[i] = { o: NaN, h: NaN, l: NaN, c: NaN, v: NaN };
  return makeSeries(symbol, bars);
}

/** The smallest double above x (x > 0). */
export function nextUp(x: number): number {
  const b = new Float64Array([x]);
  const u = new BigInt64Array(b.buffer);
  u[0] += 1n;
  return b[0];
}
