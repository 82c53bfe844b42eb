/* tracklib ui: the experiments page (the home page), most recently active first. */
(() => {
  "use strict";
  const { REFRESH_MS, app, page, el, testid, fmtDate, fmtRel, link, setCrumbs, every, showError, api, enc } = TL;

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
    if (g !== page.gen) return;
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
      if (g === page.gen && next !== sig) {
        sig = next;
        count.textContent = `${d.experiments.length}`;
        fillExperiments(tb, d.experiments);
      }
    });
  }

  Object.assign(TL, { experimentsPage });
})();
