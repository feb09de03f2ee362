// Inline SVG charts for report.html, generated as text: no library, no network, same bytes for the
// same data. Every chart is an <svg data-chart="..." data-points="N"> so tests can see it has data.

/** One line of a line chart. */
export interface Line {
  name: string;
  values: ArrayLike<number>;
  color: string;
  dashed?: boolean;
}

/** A line (or filled area) chart over dates. */
export interface LineChartSpec {
  kind: string;
  title: string;
  dates: readonly string[];
  lines: readonly Line[];
  /** Axis label of a value. */
  fmt: (v: number) => string;
  /** Fill between the first line and zero (drawdown). */
  area?: boolean;
}

/** A bar chart (monthly returns). */
export interface BarChartSpec {
  kind: string;
  title: string;
  labels: readonly string[];
  values: readonly number[];
  fmt: (v: number) => string;
}

const W = 960;
const H = 280;
const L = 78;
const R = 14;
const T = 14;
const B = 30;
const PW = W - L - R;
const PH = H - T - B;

/** Escape text for HTML and SVG. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// Bound once: global lookups per point are slow inside vm contexts such as jest's.
const { round, abs, min, max, ceil, floor, log10 } = Math;
const finite = Number.isFinite;

function c1(x: number): string {
  return (round(x * 10) / 10).toFixed(1);
}

/** Tick values covering [lo, hi] at a 1/2/5 x 10^k step, about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** floor(log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

function range(lines: readonly Line[], withZero: boolean): [number, number] {
  let lo = withZero ? 0 : Infinity;
  let hi = withZero ? 0 : -Infinity;
  for (const l of lines) {
    for (let i = 0; i < l.values.length; i++) {
      const v = l.values[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!(hi > lo)) {
    const pad = abs(lo) * 0.01 || 1;
    return [lo - pad, hi + pad];
  }
  const pad = (hi - lo) * 0.04;
  return [withZero && lo === 0 ? 0 : lo - pad, withZero && hi === 0 ? 0 : hi + pad];
}

/** Labels on the x axis: one per year, or per month (thinned to about 12) for short runs. */
function xLabels(dates: readonly string[]): Array<[number, string]> {
  const years: Array<[number, string]> = [];
  const months: Array<[number, string]> = [];
  for (let i = 0; i < dates.length; i++) {
    if (i === 0 || dates[i].slice(0, 4) !== dates[i - 1].slice(0, 4)) years.push([i, dates[i].slice(0, 4)]);
    if (i === 0 || dates[i].slice(0, 7) !== dates[i - 1].slice(0, 7)) months.push([i, dates[i].slice(0, 7)]);
  }
  const pick = years.length >= 3 ? years : months;
  const every = max(1, ceil(pick.length / 12));
  const out = pick.filter((_, k) => k % every === 0);
  // The run's first date is a label only if the next one is far enough away not to overlap it.
  const minGap = dates.length / 16;
  if (out.length >= 2 && out[1][0] - out[0][0] < minGap) out.shift();
  return out;
}

function frame(ticks: number[], y: (v: number) => number, fmt: (v: number) => string, xl: Array<[number, string]>, x: (i: number) => number): string {
  const parts: string[] = [];
  for (const t of ticks) {
    const yy = c1(y(t));
    parts.push(`<line class="grid" x1="${L}" x2="${W - R}" y1="${yy}" y2="${yy}"/><text class="ylab" x="${L - 6}" y="${yy}" dy="0.32em" text-anchor="end">${esc(fmt(t))}</text>`);
  }
  for (const [i, label] of xl) {
    const xx = c1(x(i));
    parts.push(`<line class="tick" x1="${xx}" x2="${xx}" y1="${H - B}" y2="${H - B + 5}"/><text class="xlab" x="${xx}" y="${H - B + 18}" text-anchor="middle">${esc(label)}</text>`);
  }
  parts.push(`<line class="axis" x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}"/>`);
  return parts.join('');
}

/** An SVG line chart; the first line is the one the data-points count and the hover read-out use. */
export function lineChart(spec: LineChartSpec): string {
  const n = spec.dates.length;
  const [lo, hi] = range(spec.lines, !!spec.area);
  const x = (i: number) => L + (n > 1 ? (i / (n - 1)) * PW : PW / 2);
  const y = (v: number) => T + (1 - (v - lo) / (hi - lo)) * PH;
  const paths = spec.lines.map((line, k) => {
    let d = '';
    let pen = false;
    for (let i = 0; i < line.values.length; i++) {
      const v = line.values[i];
      if (!finite(v)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${c1(x(i))},${c1(y(v))}`;
      pen = true;
    }
    const fill = spec.area && k === 0 && n > 0 ? `<path class="area" d="M${c1(x(0))},${c1(y(0))}${d.replace(/^M/, 'L')}L${c1(x(n - 1))},${c1(y(0))}Z" fill="${line.color}" fill-opacity="0.18"/>` : '';
    return `${fill}<path class="line" d="${d}" fill="none" stroke="${line.color}" stroke-width="${k === 0 ? 1.6 : 1.1}"${line.dashed ? ' stroke-dasharray="5 3"' : ''}><title>${esc(line.name)}</title></path>`;
  });
  const legend = spec.lines.length > 1 ? `<div class="legend">${spec.lines.map((l) => `<span><i style="background:${l.color}"></i>${esc(l.name)}</span>`).join('')}</div>` : '';
  return [
    `<figure class="chart"><figcaption>${esc(spec.title)}</figcaption>${legend}`,
    `<svg data-chart="${esc(spec.kind)}" data-points="${n}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(spec.title)}" preserveAspectRatio="none">`,
    frame(niceTicks(lo, hi), y, spec.fmt, xLabels(spec.dates), x),
    paths.join(''),
    `<line class="cursor" x1="0" x2="0" y1="${T}" y2="${H - B}" visibility="hidden"/>`,
    `</svg><div class="readout" data-readout="${esc(spec.kind)}">&#160;</div></figure>`,
  ].join('');
}

/** An SVG bar chart around zero (positive green, negative red). */
export function barChart(spec: BarChartSpec): string {
  const n = spec.values.length;
  const [lo, hi] = range([{ name: '', values: spec.values, color: '' }], true);
  const bw = n ? PW / n : PW;
  const x = (i: number) => L + (i + 0.5) * bw;
  const y = (v: number) => T + (1 - (v - lo) / (hi - lo)) * PH;
  const y0 = y(0);
  const bars = spec.values.map((v, i) => {
    const yy = y(v);
    const top = min(yy, y0);
    const h = max(abs(yy - y0), 0.5);
    return `<rect class="${v >= 0 ? 'up' : 'down'}" x="${c1(L + i * bw + bw * 0.12)}" y="${c1(top)}" width="${c1(max(bw * 0.76, 0.6))}" height="${c1(h)}"><title>${esc(spec.labels[i])}: ${esc(spec.fmt(v))}</title></rect>`;
  });
  const years: Array<[number, string]> = [];
  spec.labels.forEach((m, i) => {
    if (i === 0 || m.slice(0, 4) !== spec.labels[i - 1].slice(0, 4)) years.push([i, m.slice(0, 4)]);
  });
  const xl = years.length >= 2 ? years.filter((_, k) => k % max(1, ceil(years.length / 12)) === 0) : spec.labels.map((m, i) => [i, m] as [number, string]).filter((_, k) => k % max(1, ceil(n / 12)) === 0);
  return [
    `<figure class="chart"><figcaption>${esc(spec.title)}</figcaption>`,
    `<svg data-chart="${esc(spec.kind)}" data-points="${n}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(spec.title)}" preserveAspectRatio="none">`,
    frame(niceTicks(lo, hi), y, spec.fmt, xl, x),
    bars.join(''),
    `<line class="zero" x1="${L}" x2="${W - R}" y1="${c1(y0)}" y2="${c1(y0)}"/>`,
    `</svg></figure>`,
  ].join('');
}

/** Geometry the hover script needs: plot left edge and width in viewBox units. */
export const PLOT = { left: L, width: PW, viewWidth: W };
