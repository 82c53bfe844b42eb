/* tracklib ui: a run's artifact browser: the lazily loaded tree and the preview of a file
 * (image, CSV / TSV as a table, pretty-printed JSON, other text). */
(() => {
  "use strict";
  const { REPORT, page, el, testid, api, enc } = TL;
  const PREVIEW_LIMIT = 1024 * 1024;
  const IMAGE_EXT = ["png", "jpg", "jpeg", "gif", "webp", "bmp", "svg"];  // svg in <img> runs no script
  const TEXT_EXT = ["txt", "log", "md", "json", "yaml", "yml", "csv", "tsv", "py", "cfg", "ini",
    "toml", "sh", "svg", "xml", "html", "js", "css", "out", "err", "rst", "ipynb", "jsonl", "conf"];

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
      if (n === 0) body.replaceChildren(el("p", "muted small", "No artifacts."));  // no empty two-pane box
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
    if (g !== page.gen) return 0;
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
    if (g !== page.gen) return;
    if (ext === "csv" || ext === "tsv") { body.appendChild(csvTable(text, ext === "tsv" ? "\t" : ",")); return; }
    if (ext === "json") {
      try { text = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* shown as is */ }
    }
    body.appendChild(testid(el("pre", "code", text), "artifact-text"));
  }

  Object.assign(TL, { artifactBrowser });
})();
