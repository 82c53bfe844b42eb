/* tracklib ui: the runs page of an experiment: the filter bar (with the error's position),
 * the column chooser, and the live reload of the runs. */
(() => {
  "use strict";
  const { REFRESH_MS, app, page, el, testid, store, setCrumbs, markPainted, setLive, every, showError, api, enc } = TL;

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
    ui.cmpBtn.addEventListener("click", () => TL.navigate(`/compare?runs=${[...state.selected].map(enc).join(",")}`));
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
    const render = () => TL.renderRunsTable(state, ui.tableWrap, ui.cmpBtn);
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
        if (g !== page.gen) return;
        if (e.code !== "INVALID_FILTER" && e.status !== 400) { if (!state.data) showError(e); return; }
        showFilterError(ui.fb.err, state.filter, e);
        state.sig = "";  // the next valid answer is shown even if it is the same as before
        if (state.data) ui.note.textContent = "The table still shows the last valid filter's runs.";
        if (userAction) ui.fb.input.focus();
        return;
      }
      const sig = JSON.stringify(data);
      if (g !== page.gen || sig === state.sig) return;  // nothing new: keep the DOM (and what the user points at)
      state.sig = sig;
      showRuns(state, ui, expId, data);
    }
    await load(false);
    every(REFRESH_MS, async () => {
      if (state.data && state.data.runs.some((r) => r.status === "RUNNING")) await load(false);
    });
  }

  Object.assign(TL, { runsPage });
})();
