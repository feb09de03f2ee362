// Field parsers for CSV import, on the import hot path (hundreds of thousands of rows a second):
// char-code loops instead of regexes or Date objects, and the exact same doubles Number() gives.

/** A field that holds no value: empty, or a spreadsheet's explicit marker (NaN, NA, N/A, null). */
export function isMissing(s: string): boolean {
  const n = s.length;
  if (n === 0) return true;
  if (n > 4) return s.trim() === '';
  const t = s.trim().toLowerCase();
  return t === '' || t === 'nan' || t === 'na' || t === 'n/a' || t === 'null';
}

// Exact powers of ten: an integer mantissa below 2^53 divided by one of them is correctly rounded,
// so the fast path returns what Number() would.
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/** A decimal number ("67.71", "-3", "1.5e6"); null for anything else (text, "1.2.3", hex, Infinity). */
export function parseNumber(s: string): number | null {
  return parseNumberAt(s, 0, s.length);
}

/** `parseNumber` of s[start, end) without making the substring (the import hot path). */
export function parseNumberAt(s: string, start: number, end: number): number | null {
  while (start < end && s.charCodeAt(start) === 32) start++;
  while (end > start && s.charCodeAt(end - 1) === 32) end--;
  if (start === end) return null;
  let i = start;
  let c = s.charCodeAt(i);
  const neg = c === 45;
  if (neg || c === 43) i++;
  let mant = 0;
  let digits = 0;
  let frac = 0;
  let dot = false;
  for (; i < end; i++) {
    c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      mant = mant * 10 + (c - 48);
      digits++;
      if (dot) frac++;
    } else if (c === 46 && !dot) dot = true;
    else break;
  }
  if (digits === 0) return null;
  if (i < end) {
    if (c !== 101 && c !== 69) return null;
    let j = i + 1;
    if (s.charCodeAt(j) === 43 || s.charCodeAt(j) === 45) j++;
    if (j >= end) return null;
    for (; j < end; j++) if (s.charCodeAt(j) < 48 || s.charCodeAt(j) > 57) return null;
    return finite(Number(s.slice(start, end)));
  }
  if (digits <= 15) {
    const v = frac ? mant / POW10[frac] : mant;
    return neg ? -v : v;
  }
  return finite(Number(s.slice(start, end)));
}

function finite(v: number): number | null {
  return v - v === 0 ? v : null;
}

/** Years the NYSE calendar covers; bars outside it could not be verified or traded. */
export const MIN_BAR_YEAR = 1990;
/** Last year the NYSE calendar covers. */
export const MAX_BAR_YEAR = 2100;

function digitsAt(s: string, from: number, count: number): number {
  let v = 0;
  for (let i = from; i < from + count; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = y - (m <= 2 ? 1 : 0);
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

const MONTH_DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
// Day number of the 1st of every month the calendar covers: one lookup per row instead of arithmetic.
const MONTH_START = new Int32Array((MAX_BAR_YEAR - MIN_BAR_YEAR + 1) * 12);
for (let y = MIN_BAR_YEAR; y <= MAX_BAR_YEAR; y++) for (let m = 1; m <= 12; m++) MONTH_START[(y - MIN_BAR_YEAR) * 12 + m - 1] = daysFromCivil(y, m, 1);

/**
 * Day number of YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD; otherwise a string saying why not.
 * Dates with the year last (01/02/2015) are refused: month-first and day-first files both exist
 * and a wrong guess would silently move bars to other sessions.
 */
export function parseDate(s: string): number | string {
  return parseDateAt(s, 0, s.length);
}

/** `parseDate` of s[start, end) without making the substring. */
export function parseDateAt(s: string, start: number, end: number): number | string {
  while (start < end && s.charCodeAt(start) === 32) start++;
  while (end > start && s.charCodeAt(end - 1) === 32) end--;
  const len = end - start;
  let y = -1;
  let m = -1;
  let d = -1;
  const sep = s.charCodeAt(start + 4);
  if (len === 10 && (sep === 45 || sep === 47) && s.charCodeAt(start + 7) === sep) {
    y = digitsAt(s, start, 4);
    m = digitsAt(s, start + 5, 2);
    d = digitsAt(s, start + 8, 2);
  } else if (len === 8) {
    y = digitsAt(s, start, 4);
    m = digitsAt(s, start + 4, 2);
    d = digitsAt(s, start + 6, 2);
  }
  if (y < 0 || m < 0 || d < 0) return dateProblem(s.slice(start, end));
  const leap = m === 2 && ((y % 4 === 0 && y % 100 !== 0) || y % 400 === 0);
  const raw = () => s.slice(start, end);
  if (m < 1 || m > 12 || d < 1 || d > MONTH_DAYS[m] + (leap ? 1 : 0)) return `"${raw()}" is not a real calendar day`;
  if (y < MIN_BAR_YEAR || y > MAX_BAR_YEAR) return `"${raw()}" is outside the calendar range ${MIN_BAR_YEAR}-${MAX_BAR_YEAR}`;
  return MONTH_START[(y - MIN_BAR_YEAR) * 12 + m - 1] + d - 1;
}

function dateProblem(raw: string): string {
  if (/^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$/.test(raw)) return `"${raw}" has the year last: month/day order is ambiguous; write dates as YYYY-MM-DD`;
  if (/^\d{4}-\d{2}-\d{2}[T ]/.test(raw)) return `"${raw}" has a time part; daily bars need a plain date YYYY-MM-DD`;
  return `"${raw}" is not a date (expected YYYY-MM-DD)`;
}
