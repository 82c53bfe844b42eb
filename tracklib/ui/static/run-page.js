/* tracklib ui: the page of one run: header, params / metrics / tags, metric charts, child runs,
 * artifacts (artifacts.js) and the environment snapshot. */
(() => {
  "use strict";
  const { REFRESH_MS, app, page, el, testid, fmtDate, duration, fmtDur, fmtMetric, statusPill, link, section,
    kvTable, setCrumbs, markPainted, setLive, every, showError, api, enc, historyPath, chartToolbar, newChart } = TL;

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
    if (g !== page.gen) return;
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
      if (g !== page.gen) return;
      chartByKey.get(k).setSeries([{ id: runId, name: k, points: h.points, total: h.total, downsampled: h.downsampled }]);
    }));
    paint();
    await loadHistories().catch((e) => console.warn(e));
    if (g !== page.gen) return;
    markPainted("tracklib:charts-drawn");
    TL.artifactBrowser(g, artSec.body, runId);
    environmentPanel(g, envSec.body, runId);
    every(REFRESH_MS, async () => {
      if (data.run.status !== "RUNNING") return;
      const next = await api(`/api/runs/${enc(runId)}`);
      if (g !== page.gen) return;
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

  // ------------------------------------------------------------------ environment
  async function environmentPanel(g, body, runId) {
    let env;
    try {
      env = await api(`/api/runs/${enc(runId)}/environment`);
    } catch (e) {
      body.replaceChildren(el("p", "muted small", e.message));
      return;
    }
    if (g !== page.gen) return;
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

  Object.assign(TL, { runPage });
})();
