/* tracklib ui: the compare page of 2 to 20 runs (also the page of `tracklib report`): params
 * side by side, latest metrics with the best marked, overlaid curves, environment difference. */
(() => {
  "use strict";
  const { REPORT, app, page, el, testid, store, fmtMetric, link, section, setCrumbs, markPainted, showError,
    api, enc, historyPath, chartToolbar, newChart } = TL;

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
      if (g === page.gen) chart.setSeries(series.filter(Boolean));
    }));
  }

  async function comparePage(g, ids) {
    setCrumbs(REPORT ? [{ text: REPORT.title || "tracklib report" }, { text: `Compare ${ids.length} runs` }]
      : [{ text: "Experiments", href: "/" }, { text: `Compare ${ids.length} runs` }]);
    const data = await api(`/api/compare?runs=${ids.map(enc).join(",")}`).catch((e) => e);
    if (g !== page.gen) return;
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
    if (g === page.gen) markPainted("tracklib:compare-drawn");
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

  Object.assign(TL, { comparePage });
})();
