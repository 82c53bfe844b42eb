/* tracklib ui: the charts' scales: axis ticks (linear, log10, wall clock, durations), number and
 * time formats, and the smoothing of a curve. Used by charts.js; no DOM here. */
"use strict";

const TLScales = (() => {
  "use strict";

  /** Values arrive as numbers or as "NaN"/"Infinity"/"-Infinity" strings (JSON has no NaN). */
  function num(v) {
    if (typeof v === "number") return v;
    if (v === "Infinity") return Infinity;
    if (v === "-Infinity") return -Infinity;
    return NaN;
  }

  function fmtNum(v) {
    if (!Number.isFinite(v)) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(3);
    return String(Number(v.toPrecision(5)));
  }

  function niceStep(range, count) {
    const raw = range / Math.max(1, count);
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const n = raw / mag;
    return (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * mag;
  }

  function linearTicks(lo, hi, count) {
    if (!(hi > lo)) return [lo];
    const step = niceStep(hi - lo, count);
    const out = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
      out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    }
    return out;
  }

  /** Ticks for a log10 axis (lo, hi in log10 units): decades when the range spans several,
   * else 1-2-5 steps, else plain values; always at round values of the data itself. */
  function logTicks(lo, hi) {
    if (hi - lo > 2.5) {
      const out = [];
      for (let e = Math.ceil(lo); e <= Math.floor(hi); e++) out.push(e);
      return out;
    }
    for (const mults of [[1, 2, 5], [1, 2, 3, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]]) {
      const out = [];
      for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) {
        for (const m of mults) {
          const t = Math.log10(m * Math.pow(10, e));
          if (t >= lo - 1e-9 && t <= hi + 1e-9) out.push(t);
        }
      }
      if (out.length >= 3 && out.length <= 9) return out;
    }
    return linearTicks(Math.pow(10, lo), Math.pow(10, hi), 4).filter((v) => v > 0).map(Math.log10);
  }

  const SEC = 1000, MIN = 60 * SEC, HOUR = 60 * MIN, DAY = 24 * HOUR;
  const TIME_STEPS = [SEC, 2 * SEC, 5 * SEC, 10 * SEC, 15 * SEC, 30 * SEC, MIN, 2 * MIN, 5 * MIN,
    10 * MIN, 15 * MIN, 30 * MIN, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY,
    7 * DAY, 14 * DAY, 30 * DAY, 90 * DAY, 365 * DAY];

  /** Wall-time ticks at round local clock times (every 5 min, every hour, ...). */
  function timeTicks(lo, hi, count) {
    const step = TIME_STEPS.find((st) => (hi - lo) / st <= count) || TIME_STEPS[TIME_STEPS.length - 1];
    const offset = new Date(lo).getTimezoneOffset() * MIN;  // align to local, not UTC, midnight
    const out = [];
    for (let t = Math.ceil((lo - offset) / step) * step + offset; t <= hi; t += step) out.push(t);
    return { ticks: out, step };
  }

  /** Ticks for a duration axis (ms since the start), at round durations. */
  function spanTicks(lo, hi, count) {
    const step = TIME_STEPS.find((st) => (hi - lo) / st <= count) || TIME_STEPS[TIME_STEPS.length - 1];
    const out = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) out.push(t);
    return { ticks: out, step };
  }

  function fmtSpan(ms) {
    const s = Math.round(ms / 1000);
    if (s < 60) return `${s}s`;
    if (s < 3600) return s % 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s / 60}m`;
    if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60) ? `${Math.floor((s % 3600) / 60)}m` : ""}`;
    return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600) ? `${Math.floor((s % 86400) / 3600)}h` : ""}`;
  }

  function fmtClock(ms, step) {
    const d = new Date(ms);
    const p = (n) => String(n).padStart(2, "0");
    if (step >= DAY) return `${d.getMonth() + 1}/${d.getDate()}`;
    const hm = `${p(d.getHours())}:${p(d.getMinutes())}`;
    return step < MIN ? `${hm}:${p(d.getSeconds())}` : hm;
  }

  function fmtStamp(ms) {
    const d = new Date(ms);
    const p = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
      `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  }

  /** Exponential moving average with debiasing (as TensorBoard does), skipping non-finite values. */
  function smooth(values, weight) {
    if (!(weight > 0)) return values;
    const out = new Array(values.length);
    let last = 0;
    let n = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isFinite(v)) { out[i] = v; continue; }
      last = last * weight + (1 - weight) * v;
      n++;
      out[i] = last / (1 - Math.pow(weight, n));
    }
    return out;
  }

  return { num, fmtNum, linearTicks, logTicks, timeTicks, spanTicks, fmtSpan, fmtClock, fmtStamp, smooth };
})();
