"""``tracklib ui`` in a real headless Chromium: how soon its pages are usable.

    python benchmarks/bench_ui_browser.py [--runs 1000] [--points 1000000] [--repeat 3]

Builds the store of ``bench_ui.py`` (an experiment of N runs x 20 params x 10 metrics, and
one run with a metric of ``--points`` points), starts ``tracklib ui`` on it in this process,
and opens its pages in Chromium (Debian's ``chromium`` + ``chromium-driver``, the flags of the
browser tests). The page marks ``performance.mark(...)`` once it has painted what it rendered;
the figure is that mark's time from the start of navigation (``performance.now()`` origin), so
it includes the HTML, the scripts, the API answer, building the DOM and the first paint:

* runs page: the table of all N runs on screen (``tracklib:runs-rendered``);
* run page of the long run: its chart drawn from the downsampled history
  (``tracklib:charts-drawn``);
* compare of 10 runs: tables and 10 charts x 10 curves (``tracklib:compare-drawn``).

The first visit of each page (cold: the server's caches empty) and the best of ``--repeat``
reloads are printed. The MLflow UI has no such mark; ``bench_ui.py`` times its HTTP side.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TRACKLIB_CAPTURE_ENV", "0")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_ui  # the same store as the HTTP benchmark

import tracklib
from tracklib.stores.file import summaries

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,900")  # fmt: skip


ROWS_SHOWN = (
    "return document.querySelector('.page-head .count').textContent + ', '"
    " + document.querySelectorAll('[data-testid=run-row]').length + ' rows built'"
)


def browser(profile: str) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def mark_ms(driver: Any, url: str, mark: str, timeout: float = 120) -> float:
    """Open ``url``; milliseconds from navigation start to ``mark``."""
    driver.get(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = driver.execute_script(
            "const m = performance.getEntriesByName(arguments[0]); "
            "return m.length ? m[0].startTime : null;",
            mark,
        )
        if found is not None:
            return float(found)
        time.sleep(0.02)
    raise SystemExit(f"{url}: no {mark} within {timeout}s")


def measure(driver: Any, label: str, url: str, mark: str, repeat: int, check: str) -> None:
    cold = mark_ms(driver, url, mark)
    warm = min(mark_ms(driver, url, mark) for _ in range(repeat))
    shown = driver.execute_script(check)
    print(f"{label:<52}{cold:>10.0f}{warm:>10.0f}   {shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from tracklib.ui.server import start

    with tempfile.TemporaryDirectory() as tmp:
        os.environ[summaries.CACHE_DIR_VAR] = os.path.join(tmp, "cache")
        store = Path(tmp) / "mlruns"
        t0 = time.perf_counter()
        experiment_id, long_run, _ = bench_ui.build_store(store, args.runs, args.points)
        print(f"built {args.runs} runs x 20 params x 10 metrics + 1 run of {args.points:,} "
              f"points in {time.perf_counter() - t0:.1f}s; cpus={os.cpu_count()} "
              f"load={os.getloadavg()[0]:.2f}\n")  # fmt: skip
        time.sleep(summaries.SETTLE_NS / 1e9)
        some = [
            r.info.run_id
            for r in tracklib.Client(store).search_runs([experiment_id], max_results=10)
        ]
        server = start(str(store))
        driver = browser(os.path.join(tmp, "profile"))
        try:
            driver.get(server.url)  # the token -> cookie
            print(f"{'ms from navigation start':<52}{'first':>10}{'best':>10}   shown")
            measure(driver, f"runs page: {args.runs} runs in the table",
                    f"{server.base}/experiments/{experiment_id}", "tracklib:runs-rendered",
                    args.repeat, ROWS_SHOWN)  # fmt: skip
            measure(driver, f"run page: chart of a {args.points:,}-point metric",
                    f"{server.base}/runs/{long_run}", "tracklib:charts-drawn", args.repeat,
                    "return document.querySelector('[data-testid=chart]')"
                    ".getAttribute('data-points') + ' points drawn'")  # fmt: skip
            measure(
                driver,
                "compare page: 10 runs, 10 charts x 10 curves",
                f"{server.base}/compare?runs={','.join(some)}",
                "tracklib:compare-drawn",
                args.repeat,
                "return [...document.querySelectorAll('[data-testid=chart]')]"
                ".reduce((n, c) => n + +c.getAttribute('data-points'), 0) + ' points drawn'",
            )
        finally:
            driver.quit()
            server.close()


if __name__ == "__main__":
    main()
