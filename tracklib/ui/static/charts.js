/* tracklib ui: line charts on <canvas>, no third-party code.
 *
 * TLCharts.create(parent, {title}) -> chart with
 *   .setSeries([{id, name, color, points: [[step, ts_ms, value], ...]}])
 *   .setOptions({xMode: "step"|"time"|"relative", log: bool, smoothing: 0..0.99})
 * ("relative": time since the series' first point, so runs started at different times line up)
 * Hover shows the nearest point of every visible series; clicking a legend entry hides or
 * shows its series. The chart element carries data-points = number of points drawn, so tests
 * (and the report) can check that something was really drawn.
 * Scales and formats are in chart-scales.js, loaded before this file.
 */
"use strict";

const TLCharts = (() => {
  "use strict";
  const { num, fmtNum, linearTicks, logTicks, timeTicks, spanTicks, fmtSpan, fmtClock, fmtStamp, smooth } = TLScales;
  const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2",
    "#db2777", "#4b5563", "#65a30d", "#9333ea", "#0d9488", "#ea580c"];
  const PAD = { left: 70, right: 14, top: 10, bottom: 40 };  // room for ticks and axis titles

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  class Chart {
    constructor(parent, opts) {
      this.opts = Object.assign({ title: "", height: 236 }, opts || {});
      this.series = [];
      this.hidden = new Set();
      this.view = { xMode: "step", log: false, smoothing: 0 };
      this.root = el("div", "chart");
      this.root.setAttribute("data-testid", "chart");
      this.root.setAttribute("data-points", "0");
      if (this.opts.title) {
        this.root.setAttribute("data-key", this.opts.title);
        this.root.appendChild(el("div", "chart-title", this.opts.title));
      }
      this.wrap = el("div", "chart-canvas");
      this.canvas = el("canvas");
      this.wrap.appendChild(this.canvas);
      this.tip = el("div", "chart-tip");
      this.tip.hidden = true;
      this.wrap.appendChild(this.tip);
      this.root.appendChild(this.wrap);
      this.legend = el("div", "chart-legend");
      this.root.appendChild(this.legend);
      this.note = el("div", "chart-note");
      this.root.appendChild(this.note);
      parent.appendChild(this.root);
      this.canvas.addEventListener("mousemove", (ev) => this.hover(ev));
      this.canvas.addEventListener("mouseleave", () => {
        this.hoverX = undefined;
        this.tip.hidden = true;
        this.draw();
      });
      if (typeof ResizeObserver !== "undefined") {
        this.ro = new ResizeObserver(() => this.draw());
        this.ro.observe(this.wrap);
      }
    }

    setSeries(list) {
      this.series = list.map((s, i) => {
        const pts = (s.points || []).map((p) => [p[0], p[1], num(p[2])]);
        return { id: s.id || s.name, name: s.name, color: s.color || PALETTE[i % PALETTE.length], pts };
      });
      const notes = list.filter((s) => s.downsampled).map((s) => `${s.name}: ${s.total} points, downsampled`);
      this.note.textContent = notes.join(" · ");
      this.renderLegend();
      this.draw();
    }

    setOptions(view) {
      Object.assign(this.view, view);
      this.draw();
    }

    renderLegend() {
      this.legend.replaceChildren();
      if (this.series.length < 2 && !this.opts.alwaysLegend) return;
      for (const s of this.series) {
        const item = el("button", "legend-item");
        item.type = "button";
        item.setAttribute("data-testid", "legend-item");
        if (this.hidden.has(s.id)) item.classList.add("off");
        const sw = el("span", "swatch");
        sw.style.background = s.color;
        item.append(sw, el("span", "", s.name));
        item.addEventListener("click", () => {
          if (this.hidden.has(s.id)) this.hidden.delete(s.id); else this.hidden.add(s.id);
          item.classList.toggle("off");
          this.draw();
        });
        this.legend.appendChild(item);
      }
    }

    /** Screen-ready series: x, y (smoothed, log-transformed) for visible series. */
    prepared() {
      const v = this.view;
      return this.series.filter((s) => !this.hidden.has(s.id)).map((s) => {
        const ys = smooth(s.pts.map((p) => p[2]), v.smoothing);
        const pts = [];
        const tf = (y) => (v.log ? (y > 0 ? Math.log10(y) : NaN) : y);
        const t0 = s.pts.reduce((m, p) => Math.min(m, p[1]), Infinity);
        for (let i = 0; i < s.pts.length; i++) {
          const x = v.xMode === "time" ? s.pts[i][1]
            : v.xMode === "relative" ? s.pts[i][1] - t0 : s.pts[i][0];
          const raw = s.pts[i][2];
          pts.push({ x, y: tf(ys[i]), rawY: tf(raw), raw, step: s.pts[i][0], ts: s.pts[i][1] });
        }
        return { s, pts };
      });
    }

    bounds(prep) {
      let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
      for (const { pts } of prep) {
        for (const p of pts) {
          if (p.x < x0) x0 = p.x;
          if (p.x > x1) x1 = p.x;
          for (const y of [p.y, p.rawY]) {
            if (Number.isFinite(y)) { if (y < y0) y0 = y; if (y > y1) y1 = y; }
          }
        }
      }
      if (!Number.isFinite(x0)) return null;
      if (x1 === x0) { x0 -= 1; x1 += 1; }
      if (!Number.isFinite(y0)) { y0 = 0; y1 = 1; }
      if (y1 === y0) { const d = Math.abs(y0) * 0.1 || 1; y0 -= d; y1 += d; }
      const m = (y1 - y0) * 0.05;
      return { x0, x1, y0: y0 - m, y1: y1 + m };
    }

    draw() {
      const w = this.wrap.clientWidth || 400;
      const h = this.opts.height;
      const dpr = window.devicePixelRatio || 1;
      if (this.canvas.width !== Math.round(w * dpr) || this.canvas.height !== Math.round(h * dpr)) {
        this.canvas.width = Math.round(w * dpr);
        this.canvas.height = Math.round(h * dpr);
        this.canvas.style.width = `${w}px`;
        this.canvas.style.height = `${h}px`;
      }
      const ctx = this.canvas.getContext("2d");
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, w, h);
      const prep = this.prepared();
      const b = this.bounds(prep);
      this.geom = null;
      if (!b) {
        ctx.fillStyle = "#6b7280";
        ctx.font = "12px system-ui, sans-serif";
        ctx.fillText("no data", w / 2 - 20, h / 2);
        this.root.setAttribute("data-points", "0");
        return;
      }
      const pw = w - PAD.left - PAD.right, ph = h - PAD.top - PAD.bottom;
      const sx = (x) => PAD.left + ((x - b.x0) / (b.x1 - b.x0)) * pw;
      const sy = (y) => PAD.top + (1 - (y - b.y0) / (b.y1 - b.y0)) * ph;
      this.geom = { b, sx, sy, prep, w, h };
      this.drawAxes(ctx, b, sx, sy, w, h);
      this.drawAxisTitles(ctx, w, h);
      let drawn = 0;
      ctx.save();
      ctx.beginPath();
      ctx.rect(PAD.left - 4, PAD.top - 4, pw + 8, ph + 8);  // dots at the edges stay whole
      ctx.clip();
      if (this.view.smoothing > 0) {  // the raw curve stays visible, faint, behind the smoothed one
        ctx.globalAlpha = 0.22;
        for (const { s, pts } of prep) this.drawLine(ctx, s.color, pts.map((p) => ({ x: p.x, y: p.rawY })), sx, sy, false);
        ctx.globalAlpha = 1;
      }
      for (const { s, pts } of prep) drawn += this.drawLine(ctx, s.color, pts, sx, sy, true);
      ctx.restore();
      this.root.setAttribute("data-points", String(drawn));
      if (this.hoverX !== undefined) this.drawHover(ctx);
    }

    drawAxes(ctx, b, sx, sy, w, h) {
      ctx.font = "11px system-ui, sans-serif";
      ctx.strokeStyle = "#e5e7eb";
      ctx.fillStyle = "#6b7280";
      ctx.lineWidth = 1;
      const yt = this.view.log ? logTicks(b.y0, b.y1) : linearTicks(b.y0, b.y1, 5);
      ctx.textAlign = "right";
      ctx.textBaseline = "middle";
      for (const t of yt) {
        const y = Math.round(sy(t)) + 0.5;
        ctx.beginPath(); ctx.moveTo(PAD.left, y); ctx.lineTo(w - PAD.right, y); ctx.stroke();
        ctx.fillText(this.view.log ? fmtNum(Math.pow(10, t)) : fmtNum(t), PAD.left - 6, y);
      }
      const mode = this.view.xMode;
      const time = mode === "time" || mode === "relative";
      const tt = mode === "time" ? timeTicks(b.x0, b.x1, 6) : mode === "relative" ? spanTicks(b.x0, b.x1, 6) : null;
      const xt = time ? tt.ticks : linearTicks(b.x0, b.x1, 6).filter((t) => Number.isInteger(t));
      ctx.textAlign = "center";
      ctx.textBaseline = "top";
      for (const t of xt) {
        const x = Math.round(sx(t)) + 0.5;
        ctx.beginPath(); ctx.moveTo(x, PAD.top); ctx.lineTo(x, h - PAD.bottom); ctx.stroke();
        const label = mode === "time" ? fmtClock(t, tt.step) : mode === "relative" ? fmtSpan(t) : fmtNum(t);
        ctx.fillText(label, x, h - PAD.bottom + 6);
      }
      ctx.strokeStyle = "#9ca3af";
      ctx.beginPath();
      ctx.moveTo(PAD.left + 0.5, PAD.top); ctx.lineTo(PAD.left + 0.5, h - PAD.bottom + 0.5);
      ctx.lineTo(w - PAD.right, h - PAD.bottom + 0.5);
      ctx.stroke();
    }

    /** Axis titles: x says what it measures (step, time since the run's start, wall time); y names
     * the metric, shortened to fit, and says when its scale is log10. */
    drawAxisTitles(ctx, w, h) {
      const xTitle = { relative: "time since start", time: "wall time" }[this.view.xMode] || "step";
      ctx.font = "11px system-ui, sans-serif";
      ctx.fillStyle = "#4b5563";
      ctx.textAlign = "center";
      ctx.textBaseline = "bottom";
      ctx.fillText(xTitle, PAD.left + (w - PAD.left - PAD.right) / 2, h - 2);
      const room = h - PAD.top - PAD.bottom;
      const suffix = this.view.log ? " (log)" : "";
      let yTitle = this.opts.yTitle || this.opts.title || "value";
      while (yTitle.length > 1 && ctx.measureText(yTitle + suffix).width > room) yTitle = `${yTitle.slice(0, -2)}…`;
      ctx.save();
      ctx.translate(10, PAD.top + room / 2);
      ctx.rotate(-Math.PI / 2);
      ctx.textBaseline = "middle";
      ctx.fillText(yTitle + suffix, 0, 0);
      ctx.restore();
    }

    /** Draws one series; gaps at non-finite values; lone points as dots. Returns points drawn. */
    drawLine(ctx, color, pts, sx, sy, dots) {
      ctx.strokeStyle = color;
      ctx.fillStyle = color;
      ctx.lineWidth = 1.6;
      ctx.lineJoin = "round";
      let drawn = 0, open = false;
      ctx.beginPath();
      for (let i = 0; i < pts.length; i++) {
        const p = pts[i];
        if (!Number.isFinite(p.y)) { open = false; continue; }
        const x = sx(p.x), y = sy(p.y);
        if (open) ctx.lineTo(x, y); else ctx.moveTo(x, y);
        open = true;
        drawn++;
      }
      ctx.stroke();
      const finite = pts.filter((p) => Number.isFinite(p.y));
      if (dots && finite.length <= 30) {
        for (const p of finite) {
          ctx.beginPath(); ctx.arc(sx(p.x), sy(p.y), finite.length === 1 ? 3.5 : 2.2, 0, 2 * Math.PI); ctx.fill();
        }
      }
      return drawn;
    }

    /** The point nearest to x; a scan, since by wall time the points (sorted by step) need
     * not be in order, and a series holds at most a few thousand points. */
    nearest(pts, x) {
      let best = null, dist = Infinity;
      for (const p of pts) {
        const d = Math.abs(p.x - x);
        if (d < dist) { dist = d; best = p; }
      }
      return best;
    }

    hover(ev) {
      if (!this.geom) return;
      const r = this.canvas.getBoundingClientRect();
      const px = ev.clientX - r.left;
      const { b, w } = this.geom;
      const pw = w - PAD.left - PAD.right;
      this.hoverX = b.x0 + ((px - PAD.left) / pw) * (b.x1 - b.x0);
      this.hoverPx = px;
      this.draw();
    }

    drawHover(ctx) {
      const { sx, sy, prep, h } = this.geom;
      const rows = [];
      let ref = null;
      for (const { s, pts } of prep) {
        const p = this.nearest(pts, this.hoverX);
        if (!p) continue;
        if (!ref || Math.abs(p.x - this.hoverX) < Math.abs(ref.x - this.hoverX)) ref = p;
        rows.push({ s, p });
        if (Number.isFinite(p.y)) {
          ctx.fillStyle = "#fff";
          ctx.strokeStyle = s.color;
          ctx.lineWidth = 2;
          ctx.beginPath(); ctx.arc(sx(p.x), sy(p.y), 3.5, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
        }
      }
      if (!ref) return;
      const x = Math.round(sx(ref.x)) + 0.5;
      ctx.strokeStyle = "rgba(17,24,39,.35)";
      ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(x, PAD.top); ctx.lineTo(x, h - PAD.bottom); ctx.stroke();
      this.showTip(rows, ref);
    }

    showTip(rows, ref) {
      this.tip.replaceChildren();
      const mode = this.view.xMode;
      const head = mode === "time" ? `${fmtStamp(ref.ts)} · step ${ref.step}`
        : mode === "relative" ? `${fmtSpan(ref.x)} · step ${ref.step}` : `step ${ref.step}`;
      this.tip.appendChild(el("div", "tip-head", head));
      for (const { s, p } of rows) {
        const row = el("div", "tip-row");
        const sw = el("span", "swatch");
        sw.style.background = s.color;
        const val = this.view.smoothing > 0 && Number.isFinite(p.y)
          ? `${fmtNum(this.view.log ? Math.pow(10, p.y) : p.y)} (raw ${fmtNum(p.raw)})` : fmtNum(p.raw);
        row.append(sw, el("span", "tip-name", s.name), el("span", "tip-val", val));
        if (rows.length > 1 && p.step !== ref.step) row.appendChild(el("span", "tip-step", `@${p.step}`));
        this.tip.appendChild(row);
      }
      this.tip.hidden = false;
      const ww = this.wrap.clientWidth;
      const tw = this.tip.offsetWidth;
      const left = this.hoverPx + 14 + tw > ww ? this.hoverPx - 14 - tw : this.hoverPx + 14;
      this.tip.style.left = `${Math.max(0, left)}px`;
      this.tip.style.top = "8px";
    }

    destroy() {
      if (this.ro) this.ro.disconnect();
      this.root.remove();
    }
  }

  return {
    PALETTE,
    num,
    fmtNum,
    create: (parent, opts) => new Chart(parent, opts),
  };
})();
