/* tracklib ui: the runs table of an experiment: sorting, parent/child grouping, the grouped
 * param and metric columns, selection for compare, and rows rendered in chunks as it scrolls. */
(() => {
  "use strict";
  const { el, testid, fmtDate, fmtRel, duration, fmtDur, fmtMetric, statusPill, link, enc } = TL;
  const ROW_CHUNK = 100;

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

  Object.assign(TL, { renderRunsTable });
})();
