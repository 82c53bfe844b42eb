/* tracklib ui: the single-page app (experiments, runs, run, compare) over the read-only JSON API.
 *
 * Every piece of user data reaches the page through textContent / attributes set from script,
 * never through innerHTML, so names, params, tags and file contents always show as text.
 * Report mode: when the page carries <script id="tracklib-data" type="application/json">, every
 * request is answered from its "responses" map and nothing touches the network.
 */
"use strict";

(() => {
  const REFRESH_MS = 3000;
  const PREVIEW_LIMIT = 1024 * 1024;
  const ROW_CHUNK = 100;
  const IMAGE_EXT = ["png", "jpg", "jpeg", "gif", "webp", "bmp", "svg"];  // svg in <img> runs no script
  const TEXT_EXT = ["txt", "log", "md", "json", "yaml", "yml", "csv", "tsv", "py", "cfg", "ini",
    "toml", "sh", "svg", "xml", "html", "js", "css", "out", "err", "rst", "ipynb", "jsonl", "conf"];
  const app = document.getElementById("app");
  const crumbs = document.getElementById("crumbs");
  const topRight = document.getElementById("topbar-right");
  const REPORT = loadReport();
  let gen = 0;             // page generation: async work of a page left behind stops itself
  let timers = [];
  let charts = [];
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
    const g = gen;
    let busy = false;
    const id = setInterval(async () => {
      if (g !== gen) { clearInterval(id); return; }
      if (busy) return;
      busy = true;
      try { await fn(); } catch (e) { console.warn("refresh failed", e); } finally { busy = false; }
    }, ms);
    timers.push(id);
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

  // ------------------------------------------------------------------ routing
  function navigate(url) {
    if (!REPORT) history.pushState(null, "", url);
    route(url);
  }

  function route(url) {
    gen++;
    timers.forEach(clearInterval);
    timers = [];
    setLive(false);
    charts.forEach((c) => c.destroy());
    charts = [];
    const u = new URL(url || `${location.pathname}${location.search}`, "http://x");
    const path = u.pathname.replace(/\/+$/, "") || "/";
    let m;
    window.scrollTo(0, 0);
    if (path === "/") return experimentsPage(gen);
    if ((m = path.match(/^\/experiments\/([^/]+)$/))) return runsPage(gen, decodeURIComponent(m[1]), u.searchParams);
    if ((m = path.match(/^\/runs\/([^/]+)$/))) return runPage(gen, decodeURIComponent(m[1]));
    if (path === "/compare") return comparePage(gen, (u.searchParams.get("runs") || "").split(",").filter(Boolean));
    setCrumbs([{ text: "Not found" }]);
    return showError(new ApiError(`No page at ${path}`, "NOT_FOUND", null, 404));
  }

  document.addEventListener("click", (ev) => {
    const a = ev.target.closest("a[data-nav]");
    if (!a || ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey) return;
    ev.preventDefault();
    if (!REPORT) navigate(a.getAttribute("href"));
  });
  window.addEventListener("popstate", () => route());
  document.addEventListener("click", (ev) => {  // an open drop-down closes on a click elsewhere
    for (const d of document.querySelectorAll("details.dropdown[open]")) if (!d.contains(ev.target)) d.open = false;
  });

  // ------------------------------------------------------------------ experiments page
  function experimentRow(x) {
    const tr = testid(el("tr"), "experiment-row");
    tr.setAttribute("data-experiment-id", x.experiment_id);
    const name = el("td", "name");
    name.appendChild(link(`/experiments/${enc(x.experiment_id)}`, x.name));
    const active = el("td", "num");
    if (x.active_runs > 0) active.append(el("span", "live-dot"), document.createTextNode(` ${x.active_runs}`));
    else active.textContent = "0";
    const last = el("td", "muted", fmtRel(x.last_activity));
    last.title = fmtDate(x.last_activity);
    tr.append(name, el("td", "mono muted", x.experiment_id), el("td", "num", x.run_count), active, last);
    return tr;
  }

  /** Experiments, most recently active first. */
  function fillExperiments(tb, exps) {
    tb.replaceChildren();
    const sorted = [...exps].sort((a, b) => (b.last_activity || 0) - (a.last_activity || 0));
    for (const x of sorted) tb.appendChild(experimentRow(x));
    if (!exps.length) {
      const td = el("td", "empty", "No experiments yet. Log a run with tracklib.start_run(experiment=...).");
      td.colSpan = 5;
      tb.appendChild(el("tr")).appendChild(td);
    }
  }

  async function experimentsPage(g) {
    setCrumbs([{ text: "Experiments" }]);
    const data = await api("/api/experiments").catch((e) => e);
    if (g !== gen) return;
    if (data instanceof Error) return showError(data);
    const head = el("div", "page-head");
    const count = el("span", "count", `${data.experiments.length}`);
    head.append(el("h1", "", "Experiments"), count);
    const t = testid(el("table", "data"), "experiments-table");
    const thr = t.appendChild(el("thead")).appendChild(el("tr"));
    for (const h of ["Name", "ID", "Runs", "Active", "Last activity"]) {
      thr.appendChild(el("th", h === "Runs" || h === "Active" ? "num" : "", h));
    }
    const tb = t.appendChild(el("tbody"));
    let sig = JSON.stringify(data.experiments);
    fillExperiments(tb, data.experiments);
    const tableWrap = el("div", "table-wrap");
    tableWrap.appendChild(t);
    app.replaceChildren(head, tableWrap);
    every(REFRESH_MS, async () => {  // new experiments and runs show up by themselves
      const d = await api("/api/experiments");
      const next = JSON.stringify(d.experiments);
      if (g === gen && next !== sig) {
        sig = next;
        count.textContent = `${d.experiments.length}`;
        fillExperiments(tb, d.experiments);
      }
    });
  }

  // ------------------------------------------------------------------ runs page
  function sortValue(run, key) {
    const [kind, name] = key.split(":", 2);
    if (kind === "name") return (run.run_name || run.run_id).toLowerCase();
    if (kind === "status") return run.status;
    if (kind === "start") return run.start_time || 0;
    if (kind === "duration") return duration(run);
    if (kind === "param") {
      const v = run.params[name];
      if (v === undefined) return null;
      const n = Number(v);
      return v.trim() !== "" && Number.isFinite(n) ? n : v.toLowerCase();
    }
    const v = run.metrics[name];
    return v === undefined || v === null ? null : TLCharts.num(v);
  }

  function compareBy(key, dir) {
    return (a, b) => {
      const x = sortValue(a, key), y = sortValue(b, key);
      if (x === null || y === null || Number.isNaN(x) || Number.isNaN(y)) {
        const xn = x === null || Number.isNaN(x), yn = y === null || Number.isNaN(y);
        return xn === yn ? 0 : xn ? 1 : -1;  // missing values last, whatever the direction
      }
      if (typeof x !== typeof y) return (typeof x === "number" ? -1 : 1) * dir;
      return (x < y ? -1 : x > y ? 1 : 0) * dir;
    };
  }

  /** Parents first, each followed by its children (runs whose parent is not listed stay top level). */
  function groupRuns(runs, cmp) {
    const ids = new Set(runs.map((r) => r.run_id));
    const kids = new Map();
    const top = [];
    for (const r of runs) {
      if (r.parent_run_id && ids.has(r.parent_run_id)) {
        if (!kids.has(r.parent_run_id)) kids.set(r.parent_run_id, []);
        kids.get(r.parent_run_id).push(r);
      } else top.push(r);
    }
    top.sort(cmp);
    for (const list of kids.values()) list.sort(cmp);
    return { top, kids };
  }

  const natural = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

  function defaultColumns(data) {
    const few = data.param_keys.length + data.metric_keys.length <= 10;
    return {
      params: few ? [...data.param_keys] : data.param_keys.slice(0, 5),
      metrics: few ? [...data.metric_keys] : data.metric_keys.slice(0, 5),
    };
  }

  function filterBar(state, onApply) {
    const bar = el("div", "filter-bar");
    const form = el("form", "filter-form");
    const input = testid(el("input", "filter-input"), "filter-input");
    input.type = "text";
    input.spellcheck = false;
    input.autocomplete = "off";
    input.placeholder = 'Filter: metrics.loss < 0.5 and params.lr = "0.01" and attributes.status = "FINISHED"';
    input.value = state.filter;
    const go = el("button", "btn", "Search");
    go.type = "submit";
    const clear = el("button", "btn btn-ghost", "Clear");
    clear.type = "button";
    clear.addEventListener("click", () => { input.value = ""; onApply(""); });
    form.append(input, go, clear);
    form.addEventListener("submit", (ev) => { ev.preventDefault(); onApply(input.value.trim()); });
    const err = testid(el("div", "filter-error"), "filter-error");
    err.hidden = true;
    bar.append(form, err);
    return { bar, input, err };
  }

  function showFilterError(box, expr, e) {
    box.replaceChildren();
    const withCaret = e.position !== null && e.position !== undefined && expr;
    // the grammar's message may carry its own text caret; ours is drawn below, so keep line one
    box.appendChild(el("div", "filter-error-msg", withCaret ? e.message.split("\n")[0] : e.message));
    if (withCaret) {
      const pos = Math.max(0, Math.min(e.position, expr.length));
      const pre = el("pre", "filter-caret");
      pre.append(document.createTextNode(`${expr}\n${" ".repeat(pos)}`), el("span", "caret", "^"));
      pre.setAttribute("data-position", String(pos));
      box.appendChild(pre);
    }
    box.hidden = false;
  }

  function columnChooser(data, cols, onChange) {
    const d = testid(el("details", "dropdown"), "column-chooser");
    const sum = el("summary", "btn btn-ghost", "Columns");
    d.appendChild(sum);
    const panel = el("div", "dropdown-panel");
    const group = (title, keys, chosen) => {
      panel.appendChild(el("div", "dropdown-title", title));
      if (!keys.length) panel.appendChild(el("div", "muted small", "none"));
      for (const k of keys) {
        const lab = el("label", "check");
        const cb = el("input");
        cb.type = "checkbox";
        cb.setAttribute("data-column", `${title === "Params" ? "param" : "metric"}:${k}`);
        cb.checked = chosen.includes(k);
        cb.addEventListener("change", () => {
          const set = new Set(chosen);
          if (cb.checked) set.add(k); else set.delete(k);
          chosen.splice(0, chosen.length, ...keys.filter((x) => set.has(x)));
          onChange();
        });
        lab.append(cb, el("span", "", k));
        panel.appendChild(lab);
      }
    };
    group("Params", data.param_keys, cols.params);
    group("Metrics", data.metric_keys, cols.metrics);
    d.appendChild(panel);
    return d;
  }

  /** The page's parts that outlive a reload of its data. */
  function runsShell(state, expId, onFilter) {
    const ui = {
      title: el("h1", "", "Runs"),
      count: el("span", "count"),
      tools: el("div", "page-tools"),
      cmpBtn: testid(el("button", "btn btn-primary", "Compare"), "compare-button"),
      note: el("div", "muted small note"),
      tableWrap: el("div", "table-wrap tall"),
      fb: filterBar(state, onFilter),
    };
    ui.cmpBtn.disabled = true;
    ui.cmpBtn.addEventListener("click", () => navigate(`/compare?runs=${[...state.selected].map(enc).join(",")}`));
    const head = el("div", "page-head");
    head.append(ui.title, ui.count, ui.tools);
    const wrap = el("div");
    wrap.append(head, ui.fb.bar, ui.note, ui.tableWrap);
    app.replaceChildren(wrap);
    return ui;
  }

  /** Shows a new answer of the runs endpoint; the first one also names the page. */
  function showRuns(state, ui, expId, data) {
    data.param_keys.sort(natural.compare);  // p2 before p10
    data.metric_keys.sort(natural.compare);
    ui.fb.err.hidden = true;
    const first = !state.data;
    if (first) performance.mark("tracklib:runs-data");
    state.data = data;
    const render = () => renderRunsTable(state, ui.tableWrap, ui.cmpBtn);
    if (first) {
      ui.title.textContent = data.experiment.name;
      setCrumbs([{ text: "Experiments", href: "/" }, { text: data.experiment.name }]);
      state.cols = store(`tracklib.cols.${expId}`) || defaultColumns(data);
      ui.tools.replaceChildren(columnChooser(data, state.cols, () => {
        store(`tracklib.cols.${expId}`, state.cols);
        render();
      }), ui.cmpBtn);
    }
    ui.count.textContent = `${data.runs.length}${data.truncated ? "+" : ""} runs`;
    setLive(data.runs.some((r) => r.status === "RUNNING"));
    ui.note.textContent = data.truncated ? "Showing the first 1000 matching runs; narrow the filter to see others." : "";
    const known = new Set(data.runs.map((r) => r.run_id));
    for (const id of [...state.selected]) if (!known.has(id)) state.selected.delete(id);
    render();
    if (first) markPainted("tracklib:runs-rendered");
  }

  async function runsPage(g, expId, params) {
    const state = { filter: params.get("filter") || "", sort: { key: "start", dir: -1 },
      collapsed: new Set(), selected: new Set(), data: null, cols: null, sig: "" };
    setCrumbs([{ text: "Experiments", href: "/" }, { text: `Experiment ${expId}` }]);
    const ui = runsShell(state, expId, (expr) => {
      state.filter = expr;
      history.pushState(null, "", `/experiments/${enc(expId)}${expr ? `?filter=${enc(expr)}` : ""}`);
      load(true);
    });
    async function load(userAction) {
      let data;
      try {
        data = await api(`/api/experiments/${enc(expId)}/runs?filter=${enc(state.filter)}&max_results=1000`);
      } catch (e) {
        if (g !== gen) return;
        if (e.code !== "INVALID_FILTER" && e.status !== 400) { if (!state.data) showError(e); return; }
        showFilterError(ui.fb.err, state.filter, e);
        state.sig = "";  // the next valid answer is shown even if it is the same as before
        if (state.data) ui.note.textContent = "The table still shows the last valid filter's runs.";
        if (userAction) ui.fb.input.focus();
        return;
      }
      const sig = JSON.stringify(data);
      if (g !== gen || sig === state.sig) return;  // nothing new: keep the DOM (and what the user points at)
      state.sig = sig;
      showRuns(state, ui, expId, data);
    }
    await load(false);
    every(REFRESH_MS, async () => {
      if (state.data && state.data.runs.some((r) => r.status === "RUNNING")) await load(false);
    });
  }

  /** The runs table's head: fixed columns, then grouped param and metric columns; a click
   * on a header sorts by it (again: the other way). Returns the select-all checkbox. */
  function runsHeader(t, state, rerender) {
    const { cols, sort } = state;
    const thead = t.appendChild(el("thead"));
    const hr = thead.appendChild(el("tr"));
    const hr2 = el("tr", "subhead");
    const all = el("input");
    all.type = "checkbox";
    all.title = "select all shown";
    const selTh = hr.appendChild(el("th", "sel"));
    selTh.appendChild(all);
    const grouped = cols.params.length + cols.metrics.length > 0;
    const sortTh = (key, label, cls) => {
      const th = el("th", `sortable ${cls}`);
      th.setAttribute("data-sort", key);
      th.appendChild(el("span", "", label));
      th.title = `sort by ${label}`;
      if (sort.key === key) th.appendChild(el("span", "sort-ind", sort.dir > 0 ? " ▲" : " ▼"));
      th.tabIndex = 0;
      const resort = () => {
        state.sort = { key, dir: sort.key === key ? -sort.dir : key === "name" ? 1 : -1 };
        rerender();
      };
      th.addEventListener("click", resort);
      th.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); resort(); } });
      return th;
    };
    const fixed = [["name", "Name", ""], ["status", "Status", ""], ["start", "Start", ""], ["duration", "Duration", "num"]];
    for (const [key, label, cls] of fixed) hr.appendChild(sortTh(key, label, cls)).rowSpan = grouped ? 2 : 1;
    selTh.rowSpan = grouped ? 2 : 1;
    for (const [kind, keys, label] of [["param", cols.params, "Parameters"], ["metric", cols.metrics, "Metrics"]]) {
      if (!keys.length) continue;
      hr.appendChild(el("th", `group group-${kind}`, label)).colSpan = keys.length;
      keys.forEach((k, i) => {
        const cls = `col-${kind}${i === 0 ? " first" : ""}${kind === "metric" ? " num" : ""}`;
        hr2.appendChild(sortTh(`${kind}:${k}`, k, cls));
      });
    }
    if (grouped) thead.appendChild(hr2);
    return all;
  }

  /** One run's row: checkbox, name (indented under its parent, with the collapse toggle of its
   * children), status, start, duration, chosen params and metrics. */
  function runRow({ r, depth, nkids }, state, onSelect, rerender) {
    const tr = testid(el("tr", depth ? "child" : ""), "run-row");
    tr.setAttribute("data-run-id", r.run_id);
    const cb = testid(el("input"), "run-checkbox");
    cb.type = "checkbox";
    cb.checked = state.selected.has(r.run_id);
    if (cb.checked) tr.classList.add("selected");
    cb.addEventListener("change", () => {
      if (cb.checked) state.selected.add(r.run_id); else state.selected.delete(r.run_id);
      tr.classList.toggle("selected", cb.checked);
      onSelect();
    });
    const sel = el("td", "sel");
    sel.appendChild(cb);
    const name = el("td", "name");
    if (depth) name.appendChild(el("span", "indent"));
    if (nkids) {
      const open = !state.collapsed.has(r.run_id);
      const tog = testid(el("button", "toggle", `${open ? "▾" : "▸"} ${nkids}`), "toggle-children");
      tog.type = "button";
      tog.title = open ? "collapse child runs" : "expand child runs";
      tog.addEventListener("click", () => {
        if (open) state.collapsed.add(r.run_id); else state.collapsed.delete(r.run_id);
        rerender();
      });
      name.appendChild(tog);
    }
    name.appendChild(link(`/runs/${enc(r.run_id)}`, r.run_name || r.run_id));
    const st = el("td");
    st.appendChild(statusPill(r.status));
    const start = el("td", "muted nowrap", fmtDate(r.start_time));
    start.title = fmtRel(r.start_time);
    tr.append(sel, name, st, start, el("td", "num muted", fmtDur(duration(r))));
    state.cols.params.forEach((k, i) => {
      const td = el("td", i === 0 ? "param first" : "param", r.params[k] === undefined ? "—" : r.params[k]);
      td.title = td.textContent;
      tr.appendChild(td);
    });
    state.cols.metrics.forEach((k, i) => {
      tr.appendChild(el("td", i === 0 ? "num metric first" : "num metric", fmtMetric(r.metrics[k])));
    });
    return tr;
  }

  /** Adds rows to tbody in chunks as the table scrolls: a 1,000-run table is on screen at once
   * instead of after laying out every row. Returns a function that renders up to n rows. */
  function chunkedRows(tb, rows, width, makeRow, scroller, state) {
    let done = 0;
    const more = el("tr", "more-row");
    const moreTd = more.appendChild(el("td", "muted small"));
    moreTd.colSpan = width;
    const renderUpTo = (limit) => {
      const frag = document.createDocumentFragment();
      for (; done < Math.min(limit, rows.length); done++) frag.appendChild(makeRow(rows[done]));
      tb.insertBefore(frag, more.parentNode ? more : null);
      state.rendered = done;
      if (done < rows.length) {
        moreTd.textContent = `${done} of ${rows.length} runs shown; scroll for more`;
        if (!more.parentNode) tb.appendChild(more);
      } else more.remove();
    };
    renderUpTo(Math.max(ROW_CHUNK, state.rendered || 0));
    if (typeof IntersectionObserver !== "undefined" && done < rows.length) {
      const io = new IntersectionObserver((entries) => {
        if (entries.some((e) => e.isIntersecting)) renderUpTo(done + ROW_CHUNK);
        if (done >= rows.length) io.disconnect();
      }, { root: scroller, rootMargin: "400px" });
      io.observe(more);
    }
  }

  function renderRunsTable(state, tableWrap, cmpBtn) {
    const rerender = () => renderRunsTable(state, tableWrap, cmpBtn);
    const t = testid(el("table", "data runs"), "runs-table");
    const all = runsHeader(t, state, rerender);
    const width = 5 + state.cols.params.length + state.cols.metrics.length;
    const tb = t.appendChild(el("tbody"));
    const { top, kids } = groupRuns(state.data.runs, compareBy(state.sort.key, state.sort.dir));
    const shown = [];  // every row of the table in display order, rendered yet or not
    const visit = (r, depth) => {
      const children = kids.get(r.run_id) || [];
      shown.push({ r, depth, nkids: children.length });
      if (children.length && !state.collapsed.has(r.run_id)) for (const c of children) visit(c, depth + 1);
    };
    for (const r of top) visit(r, 0);
    const updateCompare = () => {
      const n = state.selected.size;
      cmpBtn.textContent = n ? `Compare (${n})` : "Compare";
      cmpBtn.disabled = n < 2 || n > 20;
      cmpBtn.title = n > 20 ? "compare takes at most 20 runs" : n < 2 ? "pick 2 to 20 runs" : "";
      all.checked = shown.length > 0 && shown.every((x) => state.selected.has(x.r.run_id));
    };
    chunkedRows(tb, shown, width, (x) => runRow(x, state, updateCompare, rerender), tableWrap, state);
    if (!top.length) {
      const td = el("td", "empty", state.filter ? "No run matches this filter." : "No runs in this experiment.");
      td.colSpan = width;
      tb.appendChild(el("tr")).appendChild(td);
    }
    all.addEventListener("change", () => {
      for (const x of shown) if (all.checked) state.selected.add(x.r.run_id); else state.selected.delete(x.r.run_id);
      rerender();
    });
    updateCompare();
    const scroll = [tableWrap.scrollLeft, tableWrap.scrollTop];
    tableWrap.replaceChildren(t);
    [tableWrap.scrollLeft, tableWrap.scrollTop] = scroll;
  }

  // ------------------------------------------------------------------ charts shared bits
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
    for (const c of charts) c.setOptions(view);
  }

  function newChart(parent, title, opts) {
    const c = TLCharts.create(parent, Object.assign({ title }, opts || {}));
    c.setOptions(view);
    charts.push(c);
    return c;
  }

  // ------------------------------------------------------------------ run page
  function runSections() {
    const parts = {
      head: el("div", "run-head"),
      overview: el("div", "grid3"),
      chartGrid: testid(el("div", "chart-grid"), "charts"),
      childSec: section("Child runs"),
      artSec: section("Artifacts"),
      envSec: section("Environment"),
    };
    const chartsSec = section("Metrics", chartToolbar());
    chartsSec.body.appendChild(parts.chartGrid);
    const wrap = el("div", "run-page");
    wrap.append(parts.head, parts.overview, chartsSec.s, parts.childSec.s, parts.artSec.s, parts.envSec.s);
    app.replaceChildren(wrap);
    return parts;
  }

  async function runPage(g, runId) {
    setCrumbs([{ text: "Experiments", href: "/" }, { text: "…" }, { text: runId }]);
    let data = await api(`/api/runs/${enc(runId)}`).catch((e) => e);
    if (g !== gen) return;
    if (data instanceof Error) return showError(data);
    const { head, overview, chartGrid, childSec, artSec, envSec } = runSections();
    const chartByKey = new Map();

    const paint = () => {
      const r = data.run;
      setCrumbs([{ text: "Experiments", href: "/" },
        { text: data.experiment.name, href: `/experiments/${enc(data.experiment.experiment_id)}` },
        { text: r.run_name || r.run_id }]);
      renderRunHead(head, data);
      setLive(r.status === "RUNNING");
      renderOverview(overview, r);
      childSec.s.hidden = !data.children.length;
      if (data.children.length) childSec.body.replaceChildren(miniRunsTable(data.children));
      if (!data.metric_keys.length) chartGrid.replaceChildren(el("p", "muted small", "No metrics logged."));
      else if (!chartByKey.size) chartGrid.replaceChildren();
      for (const k of data.metric_keys) {
        if (!chartByKey.has(k)) chartByKey.set(k, newChart(chartGrid, k));
      }
    };
    const loadHistories = () => Promise.all(data.metric_keys.map(async (k) => {
      const h = await api(historyPath(runId, k));
      if (g !== gen) return;
      chartByKey.get(k).setSeries([{ id: runId, name: k, points: h.points, total: h.total, downsampled: h.downsampled }]);
    }));
    paint();
    await loadHistories().catch((e) => console.warn(e));
    if (g !== gen) return;
    markPainted("tracklib:charts-drawn");
    artifactBrowser(g, artSec.body, runId);
    environmentPanel(g, envSec.body, runId);
    every(REFRESH_MS, async () => {
      if (data.run.status !== "RUNNING") return;
      const next = await api(`/api/runs/${enc(runId)}`);
      if (g !== gen) return;
      if (JSON.stringify(next) !== JSON.stringify(data)) {
        data = next;
        paint();
      } else renderRunHead(head, data);  // the duration still grows
      await loadHistories();
    });
  }

  function renderRunHead(head, data) {
    const r = data.run;
    head.replaceChildren();
    const line = el("div", "run-title");
    line.append(testid(el("h1", "", r.run_name || r.run_id), "run-name"), statusPill(r.status));
    head.appendChild(line);
    const meta = el("div", "run-meta");
    const item = (label, value) => {
      const s = el("span", "meta-item");
      s.append(el("span", "meta-label", label));
      if (value instanceof Node) s.appendChild(value); else s.appendChild(el("span", "", value));
      meta.appendChild(s);
    };
    item("Run ID", el("span", "mono", r.run_id));
    item("Started", fmtDate(r.start_time));
    item("Duration", fmtDur(duration(r)));
    if (r.parent_run_id) item("Parent", link(`/runs/${enc(r.parent_run_id)}`, r.parent_run_id, "mono"));
    if (r.system_tags && r.system_tags["mlflow.user"]) item("User", r.system_tags["mlflow.user"]);
    const src = r.system_tags && (r.system_tags["mlflow.source.name"] || "");
    if (src) item("Source", src);
    head.appendChild(meta);
    if (r.description) head.appendChild(testid(el("div", "description", r.description), "description"));
  }

  function renderOverview(box, r) {
    const p = section("Parameters");
    p.body.appendChild(kvTable(r.params, "param-row", "No params."));
    const m = section("Metrics (latest)");
    const metrics = {};
    for (const [k, v] of Object.entries(r.metrics)) metrics[k] = fmtMetric(v);
    m.body.appendChild(kvTable(metrics, "metric-row", "No metrics."));
    const t = section("Tags");
    t.body.appendChild(kvTable(r.tags, "tag-row", "No tags."));
    box.replaceChildren(p.s, m.s, t.s);
  }

  function miniRunsTable(runs) {
    const t = el("table", "data");
    const hr = t.appendChild(el("thead")).appendChild(el("tr"));
    for (const h of ["Name", "Status", "Start", "Duration"]) hr.appendChild(el("th", h === "Duration" ? "num" : "", h));
    const tb = t.appendChild(el("tbody"));
    for (const r of runs) {
      const tr = tb.appendChild(el("tr"));
      const name = el("td", "name");
      name.appendChild(link(`/runs/${enc(r.run_id)}`, r.run_name || r.run_id));
      const st = el("td");
      st.appendChild(statusPill(r.status));
      tr.append(name, st, el("td", "muted", fmtDate(r.start_time)), el("td", "num", fmtDur(duration(r))));
    }
    return t;
  }

  // ------------------------------------------------------------------ artifacts
  function fmtSize(n) {
    if (n === null || n === undefined) return "";
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
    return `${(n / 1024 / 1024).toFixed(1)} MB`;
  }

  function artifactUrl(runId, path, download) {
    return `/api/runs/${enc(runId)}/artifact?path=${enc(path)}${download ? "&download=1" : ""}`;
  }

  function artifactBrowser(g, body, runId) {
    const box = el("div", "artifacts");
    const tree = testid(el("div", "art-tree"), "artifact-tree");
    const preview = testid(el("div", "art-preview"), "artifact-pane");
    preview.appendChild(el("p", "muted small", "Select a file to preview it."));
    box.append(tree, preview);
    body.replaceChildren(box);
    let current = null;
    const open = (f, row) => {
      if (current) current.classList.remove("on");
      current = row;
      row.classList.add("on");
      previewArtifact(g, preview, runId, f);
    };
    loadArtifactLevel(g, tree, runId, "", 0, open).then((n) => {
      if (n === 0) box.replaceChildren(el("p", "muted small", "No artifacts."));
    });
  }

  async function loadArtifactLevel(g, parent, runId, path, depth, open) {
    let data;
    try {
      data = await api(`/api/runs/${enc(runId)}/artifacts?path=${enc(path)}`);
    } catch (e) {
      parent.appendChild(el("div", "muted small", e.message));
      return -1;
    }
    if (g !== gen) return 0;
    const files = [...data.files].sort((a, b) => (b.is_dir - a.is_dir) || (a.path < b.path ? -1 : 1));
    for (const f of files) {
      const row = testid(el("div", `art-row ${f.is_dir ? "dir" : "file"}`), "artifact-row");
      row.setAttribute("data-path", f.path);
      row.style.paddingLeft = `${8 + depth * 16}px`;
      const name = f.path.split("/").pop();
      const ext = name.includes(".") ? name.split(".").pop().slice(0, 4).toLowerCase() : "file";
      row.append(el("span", f.is_dir ? "chev" : "ext", f.is_dir ? "▸" : ext), el("span", "art-name", name));
      if (!f.is_dir) row.appendChild(el("span", "art-size", fmtSize(f.file_size)));
      row.title = f.path;
      row.tabIndex = 0;
      row.addEventListener("keydown", (ev) => { if (ev.key === "Enter") row.click(); });
      parent.appendChild(row);
      if (f.is_dir) {
        const kids = el("div", "art-kids");
        kids.hidden = true;
        parent.appendChild(kids);
        let loaded = false;
        row.addEventListener("click", async () => {
          kids.hidden = !kids.hidden;
          row.firstChild.textContent = kids.hidden ? "▸" : "▾";
          if (!loaded) {
            loaded = true;
            await loadArtifactLevel(g, kids, runId, f.path, depth + 1, open);
          }
        });
      } else {
        row.addEventListener("click", () => open(f, row));
      }
    }
    return files.length;
  }

  function parseCsv(text, sep) {
    const rows = [];
    let row = [], cell = "", q = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (q) {
        if (c === '"') { if (text[i + 1] === '"') { cell += '"'; i++; } else q = false; } else cell += c;
      } else if (c === '"') q = true;
      else if (c === sep) { row.push(cell); cell = ""; }
      else if (c === "\n" || c === "\r") {
        if (c === "\r" && text[i + 1] === "\n") i++;
        row.push(cell); rows.push(row); row = []; cell = "";
        if (rows.length > 1000) return rows;
      } else cell += c;
    }
    if (cell !== "" || row.length) { row.push(cell); rows.push(row); }
    return rows;
  }

  function csvTable(text, sep) {
    const rows = parseCsv(text, sep);
    const wrap = el("div", "table-wrap csv-wrap");
    const t = testid(el("table", "data csv"), "artifact-csv");
    if (rows.length) {
      const body = rows.slice(1, 501);
      const isNum = (c) => c !== undefined && c.trim() !== "" && Number.isFinite(Number(c));
      // a column is right-aligned (header too) when every filled cell in it is a number
      const numeric = rows[0].map((_, j) => body.some((r) => isNum(r[j])) &&
        body.every((r) => r[j] === undefined || r[j].trim() === "" || isNum(r[j])));
      const hr = t.appendChild(el("thead")).appendChild(el("tr"));
      rows[0].forEach((h, j) => hr.appendChild(el("th", numeric[j] ? "num" : "", h)));
      const tb = t.appendChild(el("tbody"));
      for (const r of body) {
        const tr = tb.appendChild(el("tr"));
        r.forEach((c, j) => tr.appendChild(el("td", numeric[j] ? "num" : "", c)));
      }
    }
    wrap.appendChild(t);
    if (rows.length > 501) wrap.appendChild(el("p", "muted small", "First 500 rows shown."));
    return wrap;
  }

  async function previewArtifact(g, pane, runId, f) {
    const head = el("div", "preview-head");
    head.appendChild(el("span", "mono", f.path));
    head.appendChild(el("span", "muted small", fmtSize(f.file_size)));
    const dl = testid(el("a", "btn btn-ghost btn-small", "Download"), "artifact-download");
    dl.href = artifactUrl(runId, f.path, true);
    dl.setAttribute("download", f.path.split("/").pop());
    if (!REPORT) head.appendChild(dl);
    const body = testid(el("div", "preview-body"), "artifact-preview");
    pane.replaceChildren(head, body);
    const ext = (f.path.split("/").pop().split(".").length > 1 ? f.path.split(".").pop() : "").toLowerCase();
    if (f.file_size > PREVIEW_LIMIT) {
      body.appendChild(el("p", "muted", "Too large to preview; use Download."));
      return;
    }
    if (IMAGE_EXT.includes(ext)) {
      const img = testid(el("img", "preview-img"), "artifact-image");
      img.alt = f.path;
      img.src = artifactUrl(runId, f.path, false);
      body.appendChild(img);
      return;
    }
    let text;
    try {
      const r = await fetch(artifactUrl(runId, f.path, false), { credentials: "same-origin" });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      const type = r.headers.get("Content-Type") || "";
      if (!TEXT_EXT.includes(ext) && !type.startsWith("text/")) {
        body.appendChild(el("p", "muted", "No preview for this file type; use Download."));
        return;
      }
      text = await r.text();
    } catch (e) {
      body.appendChild(el("p", "muted", `Cannot load: ${e.message}`));
      return;
    }
    if (g !== gen) return;
    if (ext === "csv" || ext === "tsv") { body.appendChild(csvTable(text, ext === "tsv" ? "\t" : ",")); return; }
    if (ext === "json") {
      try { text = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* shown as is */ }
    }
    body.appendChild(testid(el("pre", "code", text), "artifact-text"));
  }

  // ------------------------------------------------------------------ environment
  async function environmentPanel(g, body, runId) {
    let env;
    try {
      env = await api(`/api/runs/${enc(runId)}/environment`);
    } catch (e) {
      body.replaceChildren(el("p", "muted small", e.message));
      return;
    }
    if (g !== gen) return;
    if (!env.available) {
      body.replaceChildren(el("p", "muted small", "No environment snapshot for this run."));
      return;
    }
    const s = env.summary || {};
    const flat = {};
    for (const [k, v] of Object.entries(s)) {
      if (v && typeof v === "object") for (const [k2, v2] of Object.entries(v)) flat[`${k}.${k2}`] = v2;
      else flat[k] = v === null && k === "git" ? "not a git checkout" : v;
    }
    const box = testid(el("div", "env"), "environment");
    box.appendChild(kvTable(flat, "env-row", "No summary."));
    if (env.requirements) {
      const d = el("details", "reqs");
      d.append(el("summary", "", "Installed packages"), el("pre", "code", env.requirements));
      box.appendChild(d);
    }
    body.replaceChildren(box);
  }

  // ------------------------------------------------------------------ compare page
  function bestIndex(values, lowerBetter) {
    let best = null;
    values.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      if (best === null || (lowerBetter ? v < values[best] : v > values[best])) best = i;
    });
    return best === null ? [] : values.map((v, i) => (v === values[best] ? i : -1)).filter((i) => i >= 0);
  }

  /** Lower is better, except for metrics whose name says they are scores (accuracy, f1, ...). */
  function defaultDirection(key) {
    const name = key.toLowerCase().split(/[/.]/).pop();
    return /(^|_|-)(acc|accuracy|auc|auroc|f1|precision|recall|score|iou|map|bleu|rouge|r2|top\d+)($|_|-)/.test(name)
      && !/loss|err/.test(name) ? "max" : "min";
  }

  function runHeaderRow(runs, colors, firstLabel) {
    const tr = el("tr");
    tr.appendChild(el("th", "rowhead", firstLabel));
    runs.forEach((r, i) => {
      const th = el("th", "runcol");
      const sw = el("span", "swatch");
      sw.style.background = colors[i];
      th.append(sw, link(`/runs/${enc(r.run_id)}`, r.run_name || r.run_id));
      th.title = r.run_id;
      tr.appendChild(th);
    });
    return tr;
  }

  function compareTable(runs, colors, label, id) {
    const t = testid(el("table", "data compare"), id);
    t.style.setProperty("--runs", String(runs.length));
    t.appendChild(el("thead")).appendChild(runHeaderRow(runs, colors, label));
    return t;
  }

  /** Params side by side; rows whose values differ carry class diff (and their cells too). */
  function compareParams(data, colors) {
    const diff = new Set(data.differing_params);
    const onlyDiff = el("label", "check");
    const od = testid(el("input"), "only-diff");
    od.type = "checkbox";
    onlyDiff.append(od, el("span", "", "Only differences"));
    const sec = section("Parameters", onlyDiff);
    const t = compareTable(data.runs, colors, "Param", "compare-params");
    const tb = t.appendChild(el("tbody"));
    for (const k of data.param_keys) {
      const tr = testid(el("tr", diff.has(k) ? "diff-row" : ""), "param-row");
      tr.setAttribute("data-key", k);
      tr.appendChild(el("th", "rowhead", k));
      for (const r of data.runs) {
        const td = el("td", diff.has(k) ? "diff" : "", r.params[k] === undefined ? "—" : r.params[k]);
        td.title = td.textContent;
        tr.appendChild(td);
      }
      tb.appendChild(tr);
    }
    od.addEventListener("change", () => {
      for (const tr of tb.children) tr.hidden = od.checked && !tr.classList.contains("diff-row");
    });
    const wrap = el("div", "table-wrap");
    wrap.appendChild(t);
    sec.body.appendChild(data.param_keys.length ? wrap : el("p", "muted small", "No params."));
    return sec.s;
  }

  /** One metric's row: latest values, the best marked with class best; the direction that is
   * better switches per metric and is remembered. */
  function metricRow(k, runs, directions) {
    const tr = testid(el("tr"), "metric-row");
    tr.setAttribute("data-key", k);
    const th = el("th", "rowhead");
    const dir = testid(el("button", "dir-toggle"), "direction-toggle");
    dir.type = "button";
    dir.title = "click to switch which direction is better";
    th.append(el("span", "", k), dir);
    const values = runs.map((r) => (r.metrics[k] === undefined || r.metrics[k] === null ? NaN : TLCharts.num(r.metrics[k])));
    const cells = runs.map((r) => el("td", "num", fmtMetric(r.metrics[k])));
    const mark = () => {
      const lower = (directions[k] || defaultDirection(k)) !== "max";
      dir.textContent = lower ? "↓ lower is better" : "↑ higher is better";
      const best = new Set(bestIndex(values, lower));
      cells.forEach((td, i) => td.classList.toggle("best", best.has(i)));
    };
    dir.addEventListener("click", () => {
      directions[k] = (directions[k] || defaultDirection(k)) === "max" ? "min" : "max";
      store("tracklib.directions", directions);
      mark();
    });
    mark();
    tr.append(th, ...cells);
    return tr;
  }

  function compareMetrics(data, colors) {
    const sec = section("Metrics (latest value; best marked)");
    const t = compareTable(data.runs, colors, "Metric", "compare-metrics");
    const tb = t.appendChild(el("tbody"));
    const directions = store("tracklib.directions") || {};
    for (const k of data.metric_keys) tb.appendChild(metricRow(k, data.runs, directions));
    const wrap = el("div", "table-wrap");
    wrap.appendChild(t);
    sec.body.appendChild(data.metric_keys.length ? wrap : el("p", "muted small", "No metrics."));
    return sec.s;
  }

  /** One chart per metric key, a curve per run (a run without the metric has none). */
  async function compareCurves(g, grid, runs, keys, colors) {
    await Promise.all(keys.map(async (k) => {
      const chart = newChart(grid, k, { alwaysLegend: true });
      const series = await Promise.all(runs.map(async (r, i) => {
        if (r.metrics[k] === undefined) return null;
        try {
          const h = await api(historyPath(r.run_id, k));
          return { id: r.run_id, name: r.run_name || r.run_id, color: colors[i], points: h.points,
            total: h.total, downsampled: h.downsampled };
        } catch (e) { return null; }
      }));
      if (g === gen) chart.setSeries(series.filter(Boolean));
    }));
  }

  async function comparePage(g, ids) {
    setCrumbs(REPORT ? [{ text: REPORT.title || "tracklib report" }, { text: `Compare ${ids.length} runs` }]
      : [{ text: "Experiments", href: "/" }, { text: `Compare ${ids.length} runs` }]);
    const data = await api(`/api/compare?runs=${ids.map(enc).join(",")}`).catch((e) => e);
    if (g !== gen) return;
    if (data instanceof Error) return showError(data);
    const colors = data.runs.map((_, i) => TLCharts.PALETTE[i % TLCharts.PALETTE.length]);
    const head = el("div", "page-head");
    head.append(el("h1", "", "Compare runs"), el("span", "count", `${data.runs.length} runs`));
    const cs = section("Curves", chartToolbar());
    const grid = cs.body.appendChild(testid(el("div", "chart-grid"), "charts"));
    const es = section("Environment difference");
    es.body.appendChild(envDiff(data.env_diff || [], data.runs));
    const wrap = el("div", "compare-page");
    wrap.append(head, compareParams(data, colors), compareMetrics(data, colors), cs.s, es.s);
    app.replaceChildren(wrap);
    await compareCurves(g, grid, data.runs, data.metric_keys, colors);
    if (g === gen) markPainted("tracklib:compare-drawn");
  }

  function envDiff(pairs, runs) {
    const box = testid(el("div", "env-diff"), "env-diff");
    const names = new Map(runs.map((r) => [r.run_id, r.run_name || r.run_id]));
    if (!pairs.length) box.appendChild(el("p", "muted small", "No environment snapshots to compare."));
    for (const p of pairs) {
      box.appendChild(el("div", "env-pair", `${names.get(p.a) || p.a}  →  ${names.get(p.b) || p.b}`));
      if (!p.lines.length) { box.appendChild(el("p", "muted small", "Same environment.")); continue; }
      const pre = el("pre", "code diff");
      for (const line of p.lines) {
        const c = line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : line.startsWith("~") ? "chg" : "";
        pre.appendChild(el("div", c, line));
      }
      box.appendChild(pre);
    }
    return box;
  }

  // ------------------------------------------------------------------ start
  if (REPORT) {
    document.body.classList.add("report");
    const brand = document.querySelector(".brand");
    if (brand) { brand.removeAttribute("href"); brand.removeAttribute("data-nav"); }
    route(REPORT.route);
  } else {
    const u = new URL(location.href);
    if (u.searchParams.has("token")) {  // the cookie carries auth from now on: keep the token out of shared links
      u.searchParams.delete("token");
      history.replaceState(null, "", `${u.pathname}${u.search}${u.hash}`);
    }
    route();
  }
})();
