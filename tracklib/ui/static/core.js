/* tracklib ui, core: the shared namespace TL, page state, DOM and format helpers, the JSON API
 * (or the report's embedded answers) and the chart options every chart shares.
 *
 * The app is plain scripts loaded in order (core.js first, app.js last), each an IIFE that reads
 * what it needs from TL and adds its own functions to it: they work as separate <script> tags and
 * inlined one after another in a report. Every piece of user data reaches the page through
 * textContent / attributes set from script, never through innerHTML, so names, params, tags and
 * file contents always show as text.
 * Report mode: when the page carries <script id="tracklib-data" type="application/json">, every
 * request is answered from its "responses" map and nothing touches the network.
 */
"use strict";

/** The app's namespace; every script adds its part. */
const TL = {};

(() => {
  "use strict";

  const REFRESH_MS = 3000;
  const app = document.getElementById("app");
  const crumbs = document.getElementById("crumbs");
  const topRight = document.getElementById("topbar-right");
  const REPORT = loadReport();
  // page generation (async work of a page left behind stops itself), its timers and charts
  const page = { gen: 0, timers: [], charts: [] };
  const view = loadView();  // chart options shared by every chart, kept across pages

  // ------------------------------------------------------------------ small helpers
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function testid(e, id) { e.setAttribute("data-testid", id); return e; }

  function store(key, value) {
    try {
      if (value === undefined) return JSON.parse(localStorage.getItem(key) || "null");
      localStorage.setItem(key, JSON.stringify(value));
    } catch (_) { /* storage off (file://, private mode): settings just don't persist */ }
    return null;
  }

  function loadView() {
    const v = store("tracklib.chartView");
    return Object.assign({ xMode: "step", log: false, smoothing: 0 }, v || {});
  }

  function pad(n) { return String(n).padStart(2, "0"); }

  function fmtDate(ms) {
    if (ms === null || ms === undefined) return "—";
    const d = new Date(ms);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
      `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }

  function fmtRel(ms) {
    if (ms === null || ms === undefined) return "—";
    const s = Math.round((Date.now() - ms) / 1000);
    if (s < 0) return "just now";
    if (s < 60) return `${s}s ago`;
    if (s < 3600) return `${Math.floor(s / 60)} min ago`;
    if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
    return `${Math.floor(s / 86400)} d ago`;
  }

  function duration(run) {
    if (!run.start_time) return null;
    const end = run.end_time || (run.status === "RUNNING" ? Date.now() : null);
    return end === null ? null : Math.max(0, end - run.start_time);
  }

  function fmtDur(ms) {
    if (ms === null || ms === undefined) return "—";
    const s = Math.round(ms / 1000);
    if (s < 60) return ms < 10000 ? `${(ms / 1000).toFixed(1)}s` : `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
    return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  }

  function fmtMetric(v) {
    if (v === null || v === undefined) return "—";
    return TLCharts.fmtNum(TLCharts.num(v));
  }

  function statusPill(status) {
    const p = el("span", `pill pill-${String(status).toLowerCase()}`);
    testid(p, "status");
    if (status === "RUNNING") {
      p.appendChild(testid(el("span", "live-dot"), "live"));
    }
    p.appendChild(document.createTextNode(status));
    return p;
  }

  function link(href, text, cls) {
    if (REPORT) return el("span", cls, text);  // the report holds only its own page
    const a = el("a", cls, text);
    a.href = href;
    a.setAttribute("data-nav", "");
    return a;
  }

  function section(title, extra) {
    const s = el("section", "card");
    const h = el("div", "card-head");
    h.appendChild(el("h2", "", title));
    if (extra) h.appendChild(extra);
    s.appendChild(h);
    const body = el("div", "card-body");
    s.appendChild(body);
    return { s, body, head: h };
  }

  function kvTable(obj, rowTestid, empty) {
    const keys = Object.keys(obj || {}).sort();
    if (!keys.length) return el("p", "muted small", empty);
    const t = el("table", "kv");
    const tb = el("tbody");
    for (const k of keys) {
      const tr = testid(el("tr"), rowTestid);
      tr.setAttribute("data-key", k);
      const v = obj[k];
      const td = el("td", "v", v === null || v === undefined || v === "" ? "—"
        : typeof v === "object" ? JSON.stringify(v) : v);
      td.title = td.textContent;
      tr.append(el("th", "k", k), td);
      tb.appendChild(tr);
    }
    t.appendChild(tb);
    return t;
  }

  function setCrumbs(items) {
    crumbs.replaceChildren();
    items.forEach((it, i) => {
      if (i) crumbs.appendChild(el("span", "crumb-sep", "/"));
      crumbs.appendChild(it.href && i < items.length - 1 ? link(it.href, it.text, "crumb") : el("span", "crumb cur", it.text));
    });
    document.title = items.length ? `${items[items.length - 1].text} · tracklib` : "tracklib";
  }

  /** A performance mark once the browser has painted what was just rendered (benchmarks
   * read it: time from navigation to a usable page). */
  function markPainted(name) {
    requestAnimationFrame(() => setTimeout(() => performance.mark(name), 0));
  }

  /** The top bar says when the page is following RUNNING runs by itself. */
  function setLive(on) {
    if (!topRight) return;
    if (!on) { topRight.replaceChildren(); return; }
    if (topRight.childElementCount) return;
    const s = testid(el("span", "live-note"), "live-note");
    s.append(el("span", "live-dot"), document.createTextNode(` live: refreshing every ${REFRESH_MS / 1000} s`));
    topRight.appendChild(s);
  }

  function every(ms, fn) {
    const g = page.gen;
    let busy = false;
    const id = setInterval(async () => {
      if (g !== page.gen) { clearInterval(id); return; }
      if (busy) return;
      busy = true;
      try { await fn(); } catch (e) { console.warn("refresh failed", e); } finally { busy = false; }
    }, ms);
    page.timers.push(id);
    return id;
  }

  function showError(e) {
    const box = testid(el("div", "error-box"), "page-error");
    box.appendChild(el("strong", "", e.status === 404 ? "Not found" : "Error"));
    box.appendChild(el("div", "", e.message || String(e)));
    app.replaceChildren(box);
  }

  // ------------------------------------------------------------------ data access
  class ApiError extends Error {
    constructor(message, code, position, status) {
      super(message);
      this.code = code || "ERROR";
      this.position = position === undefined ? null : position;
      this.status = status || 0;
    }
  }

  /** Canonical form of an API path: decoded query params, sorted, so any quoting matches. */
  function canon(path) {
    const i = path.indexOf("?");
    const base = i < 0 ? path : path.slice(0, i);
    const params = [...new URLSearchParams(i < 0 ? "" : path.slice(i + 1)).entries()];
    params.sort((a, b) => (a[0] + "\0" + a[1] < b[0] + "\0" + b[1] ? -1 : 1));
    return `${decodeURIComponent(base)}?${params.map(([k, v]) => `${k}=${v}`).join("&")}`;
  }

  function loadReport() {
    const node = document.getElementById("tracklib-data");
    if (!node) return null;
    let data;
    try { data = JSON.parse(node.textContent); } catch (e) { data = { responses: {}, route: "/" }; }
    const map = new Map();
    for (const [k, v] of Object.entries(data.responses || {})) map.set(canon(k), v);
    return { route: data.route || "/", map, title: data.title || "" };
  }

  async function api(path) {
    if (REPORT) {
      const hit = REPORT.map.get(canon(path));
      if (hit === undefined) throw new ApiError("not included in this report", "NOT_IN_REPORT", null, 404);
      return hit;
    }
    const r = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
    let body = null;
    try { body = await r.json(); } catch (_) { body = null; }
    if (!r.ok) {
      const e = (body && body.error) || {};
      throw new ApiError(e.message || `HTTP ${r.status}`, e.code, e.position, r.status);
    }
    return body;
  }

  const enc = encodeURIComponent;
  const historyPath = (runId, key) => `/api/runs/${enc(runId)}/history?key=${enc(key)}&max_points=2000`;

  // ------------------------------------------------------------------ page.charts shared bits
  function chartToolbar() {
    const bar = testid(el("div", "chart-toolbar"), "chart-toolbar");
    const seg = el("div", "seg");
    for (const [mode, label] of [["step", "Step"], ["relative", "Relative time"], ["time", "Wall time"]]) {
      const b = testid(el("button", view.xMode === mode ? "on" : "", label), `x-${mode}`);
      b.type = "button";
      b.addEventListener("click", () => {
        view.xMode = mode;
        [...seg.children].forEach((c) => c.classList.toggle("on", c === b));
        applyView();
      });
      seg.appendChild(b);
    }
    const xl = el("span", "tool-label", "X axis");
    const logLab = el("label", "check");
    const log = testid(el("input"), "log-scale");
    log.type = "checkbox";
    log.checked = view.log;
    log.addEventListener("change", () => { view.log = log.checked; applyView(); });
    logLab.append(log, el("span", "", "Log scale"));
    const smLab = el("label", "smooth");
    const sm = testid(el("input"), "smoothing");
    sm.type = "range";
    sm.min = "0";
    sm.max = "0.99";
    sm.step = "0.01";
    sm.value = String(view.smoothing);
    const smVal = el("span", "mono small", view.smoothing.toFixed(2));
    sm.addEventListener("input", () => {
      view.smoothing = Number(sm.value);
      smVal.textContent = view.smoothing.toFixed(2);
      applyView();
    });
    smLab.append(el("span", "", "Smoothing"), sm, smVal);
    bar.append(xl, seg, logLab, smLab);
    return bar;
  }

  function applyView() {
    store("tracklib.chartView", view);
    for (const c of page.charts) c.setOptions(view);
  }

  function newChart(parent, title, opts) {
    const c = TLCharts.create(parent, Object.assign({ title }, opts || {}));
    c.setOptions(view);
    page.charts.push(c);
    return c;
  }

  Object.assign(TL, {
    REFRESH_MS, REPORT, app, page, view, el, testid, store, fmtDate, fmtRel, duration, fmtDur,
    fmtMetric, statusPill, link, section, kvTable, setCrumbs, markPainted, setLive, every, showError,
    ApiError, api, enc, historyPath, chartToolbar, newChart,
  });
})();
