/* tracklib ui, app: routing between the pages (history API, links marked data-nav) and start-up,
 * in the browser or as a report opened from file. Loaded last: the pages are in TL by now. */
(() => {
  "use strict";
  const { REPORT, page, setCrumbs, setLive, showError, ApiError } = TL;

  // ------------------------------------------------------------------ routing
  function navigate(url) {
    if (!REPORT) history.pushState(null, "", url);
    route(url);
  }

  function route(url) {
    page.gen++;
    page.timers.forEach(clearInterval);
    page.timers = [];
    setLive(false);
    page.charts.forEach((c) => c.destroy());
    page.charts = [];
    const u = new URL(url || `${location.pathname}${location.search}`, "http://x");
    const path = u.pathname.replace(/\/+$/, "") || "/";
    let m;
    window.scrollTo(0, 0);
    if (path === "/") return TL.experimentsPage(page.gen);
    if ((m = path.match(/^\/experiments\/([^/]+)$/))) return TL.runsPage(page.gen, decodeURIComponent(m[1]), u.searchParams);
    if ((m = path.match(/^\/runs\/([^/]+)$/))) return TL.runPage(page.gen, decodeURIComponent(m[1]));
    if (path === "/compare") return TL.comparePage(page.gen, (u.searchParams.get("runs") || "").split(",").filter(Boolean));
    setCrumbs([{ text: "Not found" }]);
    return showError(new ApiError(`No page at ${path}`, "NOT_FOUND", null, 404));
  }

  document.addEventListener("click", (ev) => {
    const a = ev.target.closest("a[data-nav]");
    if (!a || ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey) return;
    ev.preventDefault();
    if (!REPORT) navigate(a.getAttribute("href"));
  });
  TL.navigate = navigate;  // for the pages' own links and buttons
  window.addEventListener("popstate", () => route());
  document.addEventListener("click", (ev) => {  // an open drop-down closes on a click elsewhere
    for (const d of document.querySelectorAll("details.dropdown[open]")) if (!d.contains(ev.target)) d.open = false;
  });

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
