"""`tracklib ui` and `tracklib report` in a real headless Chromium, on a store built here.

The store, the server and the helpers that drive the pages are in tests/ui/browser_fixtures.py
(the store: a sweep with its parent run, a RUNNING run, hostile HTML values). Screenshots of
every page go to a temp folder (and to $TRACKLIB_UI_SCREENSHOTS).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tracklib.ui import report

pytest.importorskip("selenium", reason="browser tests need selenium: pip install -e '.[test]'")

from browser_fixtures import (
    BATCH_KEY,
    EPOCHS,
    HOSTILE_IMG,
    HOSTILE_SCRIPT,
    SWEEP,
    Scenario,
    assert_no_alert,
    by_testid,
    chart,
    drawn,
    loss_at,
    run_report,
    run_rows,
    wait,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

pytest_plugins = ["browser_fixtures"]  # store, server, Chromium, screenshots, page helpers


# ---------------------------------------------------------------------------- tests
def test_experiments_and_runs_table(
    browser: Any, page: Callable[[str], None], scenario: Scenario, screenshot: Any
) -> None:
    page("/")
    wait(browser, lambda d: by_testid(d, "experiment-row"))
    names = [
        r.find_element(By.CSS_SELECTOR, "td.name").text
        for r in by_testid(browser, "experiment-row")
    ]
    assert "lstm-sweep" in names
    assert "?token=" not in browser.current_url  # the token does not stay in shareable links
    screenshot("experiments")

    browser.find_element(By.LINK_TEXT, "lstm-sweep").click()
    wait(browser, lambda d: len(run_rows(d)) == 6)  # parent, 4 children, live run
    assert browser.current_url.endswith(f"/experiments/{scenario.sweep_exp}")
    ids = [r.get_attribute("data-run-id") for r in run_rows(browser)]
    parent_at = ids.index(scenario.parent)
    assert set(ids[parent_at + 1 : parent_at + 5]) == set(scenario.children)  # grouped under it
    children = browser.find_elements(By.CSS_SELECTOR, '[data-testid="run-row"].child')
    assert len(children) == 4
    live = browser.find_element(By.CSS_SELECTOR, f'[data-run-id="{scenario.live}"]')
    assert live.find_elements(By.CSS_SELECTOR, '[data-testid="live"]')
    screenshot("runs")

    # sort by a metric column: the children follow their loss, lowest first on the 2nd click
    header = browser.find_element(By.CSS_SELECTOR, 'th[data-sort="metric:loss"]')
    header.click()
    browser.find_element(By.CSS_SELECTOR, 'th[data-sort="metric:loss"]').click()
    finals = {
        rid: loss_at(cfg, EPOCHS - 1) for rid, cfg in zip(scenario.children, SWEEP, strict=True)
    }
    order = [r.get_attribute("data-run-id") for r in run_rows(browser)]
    kids = [rid for rid in order if rid in finals]
    assert kids == sorted(finals, key=finals.__getitem__)

    # the column chooser hides and shows a param column
    chooser = by_testid(browser, "column-chooser")[0]
    chooser.find_element(By.TAG_NAME, "summary").click()
    box = chooser.find_element(By.CSS_SELECTOR, 'input[data-column="param:dropout"]')
    box.click()
    wait(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, 'th[data-sort="param:dropout"]'))
    chooser.find_element(By.CSS_SELECTOR, 'input[data-column="param:dropout"]').click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, 'th[data-sort="param:dropout"]'))
    chooser.find_element(By.TAG_NAME, "summary").click()

    toggle = by_testid(browser, "toggle-children")[0]
    toggle.click()
    wait(browser, lambda d: len(run_rows(d)) == 2)
    by_testid(browser, "toggle-children")[0].click()
    wait(browser, lambda d: len(run_rows(d)) == 6)


def test_runs_filter_and_its_error(
    browser: Any, page: Callable[[str], None], scenario: Scenario, screenshot: Any
) -> None:
    page(f"/experiments/{scenario.sweep_exp}")
    wait(browser, lambda d: len(run_rows(d)) == 6)
    box = by_testid(browser, "filter-input")[0]
    box.send_keys('params.lr = "0.01" and metrics.loss < 1', Keys.ENTER)
    pairs = zip(scenario.children, SWEEP, strict=True)
    expected = {rid for rid, cfg in pairs if cfg["lr"] == "0.01"}
    wait(browser, lambda d: {r.get_attribute("data-run-id") for r in run_rows(d)} == expected)
    assert "filter=" in browser.current_url
    assert not by_testid(browser, "filter-error")[0].is_displayed()

    box = by_testid(browser, "filter-input")[0]
    box.clear()
    broken = "metrics.loss <<< 1"
    page.expected.append("status of 400 (Bad Request)")  # type: ignore[attr-defined]
    box.send_keys(broken, Keys.ENTER)
    err = wait(browser, lambda d: [e for e in by_testid(d, "filter-error") if e.is_displayed()])[0]
    assert err.text.strip()
    caret = err.find_element(By.CSS_SELECTOR, "pre.filter-caret")
    position = int(caret.get_attribute("data-position"))
    assert 0 < position <= len(broken)
    assert caret.text.splitlines()[0] == broken
    screenshot("filter-error")

    box = by_testid(browser, "filter-input")[0]  # fixed again: the error goes, rows come back
    box.clear()
    box.send_keys('params.lr = "0.01" and metrics.loss < 1', Keys.ENTER)
    wait(browser, lambda d: not by_testid(d, "filter-error")[0].is_displayed())
    assert {r.get_attribute("data-run-id") for r in run_rows(browser)} == expected

    browser.back()  # the broken filter, the last good one, then the unfiltered list
    browser.back()
    browser.back()
    wait(browser, lambda d: len(run_rows(d)) == 6)


def test_unknown_run_is_an_error_page(browser: Any, page: Callable[[str], None]) -> None:
    page.expected.append("0123456789abcdef0123456789abcdef - Failed to load resource")  # type: ignore[attr-defined]
    page("/runs/0123456789abcdef0123456789abcdef")
    box = wait(browser, lambda d: by_testid(d, "page-error"))[0]
    assert "Not found" in box.text


def test_run_page_draws_every_metric(
    browser: Any, page: Callable[[str], None], scenario: Scenario, screenshot: Any
) -> None:
    rid = scenario.children[0]
    page(f"/runs/{rid}")
    wait(browser, lambda d: by_testid(d, "chart") and drawn(d, "loss") > 0)
    keys = {"loss", "val_loss", "accuracy", BATCH_KEY}
    assert {c.get_attribute("data-key") for c in by_testid(browser, "chart")} == keys
    for key in keys:

        def all_drawn(d: Any, k: str = key) -> bool:
            return bool(drawn(d, k) == EPOCHS)

        wait(browser, all_drawn)
    params = {r.get_attribute("data-key"): r.text for r in by_testid(browser, "param-row")}
    assert set(params) == {"lr", "dropout", "batch_size", "epochs"}
    assert "0.1" in params["lr"]
    assert by_testid(browser, "run-name")[0].text == "lr0.1-d0.0"
    wait(browser, lambda d: by_testid(d, "environment"))

    # the hover read-out names the point under the mouse
    from selenium.webdriver.common.action_chains import ActionChains

    canvas = chart(browser, "loss").find_element(By.TAG_NAME, "canvas")
    ActionChains(browser).move_to_element(canvas).perform()
    tip = wait(
        browser,
        lambda d: [t for t in d.find_elements(By.CSS_SELECTOR, ".chart-tip") if t.is_displayed()],
    )
    assert "step" in tip[0].text
    screenshot("run", keep_pointer=True)

    by_testid(browser, "log-scale")[0].click()  # log scale and step/time keep drawing every point
    by_testid(browser, "x-time")[0].click()
    assert drawn(browser, "loss") == EPOCHS
    screenshot("run-log-time")
    by_testid(browser, "log-scale")[0].click()
    by_testid(browser, "x-step")[0].click()


def test_artifact_previews(
    browser: Any, page: Callable[[str], None], scenario: Scenario, screenshot: Any
) -> None:
    page(f"/runs/{scenario.children[0]}")
    row = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, '[data-path="results"]'))[0]
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", row)
    row.click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, '[data-path="results/metrics.csv"]'))[
        0
    ].click()
    table = wait(browser, lambda d: by_testid(d, "artifact-csv"))[0]
    headers = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    assert headers == ["epoch", "loss", "accuracy"]
    assert len(table.find_elements(By.CSS_SELECTOR, "tbody tr")) == EPOCHS
    screenshot("artifact-csv")

    browser.find_element(By.CSS_SELECTOR, '[data-path="config.json"]').click()
    text = wait(browser, lambda d: by_testid(d, "artifact-text"))[0]
    assert json.loads(text.text) == {"model": "lstm", "layers": [64, 32], "lr": 0.1}
    browser.find_element(By.CSS_SELECTOR, '[data-path="config.yaml"]').click()
    wait(browser, lambda d: any("hidden: 40" in e.text for e in by_testid(d, "artifact-text")))

    browser.find_element(By.CSS_SELECTOR, '[data-path="plots"]').click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, '[data-path="plots/curve.png"]'))[
        0
    ].click()
    img = wait(browser, lambda d: by_testid(d, "artifact-image"))[0]
    wait(browser, lambda d: d.execute_script("return arguments[0].naturalWidth", img) == 240)
    link = by_testid(browser, "artifact-download")[0].get_attribute("href")
    assert "download=1" in link and "plots%2Fcurve.png" in link
    screenshot("artifact-image")


def test_compare_two_runs(
    browser: Any, page: Callable[[str], None], scenario: Scenario, screenshot: Any
) -> None:
    page(f"/experiments/{scenario.sweep_exp}")
    wait(browser, lambda d: len(run_rows(d)) == 6)
    picked = [scenario.children[0], scenario.children[2]]  # lr differs, dropout does not
    for rid in picked:
        browser.find_element(
            By.CSS_SELECTOR, f'[data-run-id="{rid}"] [data-testid="run-checkbox"]'
        ).click()
    button = by_testid(browser, "compare-button")[0]
    assert button.is_enabled()
    button.click()
    wait(browser, lambda d: "/compare?runs=" in d.current_url and by_testid(d, "compare-params"))

    rows = {r.get_attribute("data-key"): r for r in by_testid(browser, "param-row")}
    assert rows["lr"].find_elements(By.CSS_SELECTOR, "td.diff")
    assert not rows["dropout"].find_elements(By.CSS_SELECTOR, "td.diff")
    assert not rows["batch_size"].find_elements(By.CSS_SELECTOR, "td.diff")

    finals = [loss_at(SWEEP[0], EPOCHS - 1), loss_at(SWEEP[2], EPOCHS - 1)]
    metric = next(
        r for r in by_testid(browser, "metric-row") if r.get_attribute("data-key") == "loss"
    )
    cells = metric.find_elements(By.CSS_SELECTOR, "td")
    best = [i for i, c in enumerate(cells) if "best" in c.get_attribute("class").split()]
    assert best == [finals.index(min(finals))]
    metric.find_element(By.CSS_SELECTOR, '[data-testid="direction-toggle"]').click()
    best = [i for i, c in enumerate(cells) if "best" in c.get_attribute("class").split()]
    assert best == [finals.index(max(finals))]
    metric.find_element(By.CSS_SELECTOR, '[data-testid="direction-toggle"]').click()

    wait(browser, lambda d: drawn(d, "loss") == 2 * EPOCHS)  # two overlaid series
    legend = chart(browser, "loss").find_elements(By.CSS_SELECTOR, '[data-testid="legend-item"]')
    assert len(legend) == 2
    legend[0].click()  # hiding a series redraws without it
    assert drawn(browser, "loss") == EPOCHS
    legend[0].click()
    assert drawn(browser, "loss") == 2 * EPOCHS
    diff = by_testid(browser, "env-diff")[0]
    assert diff.find_elements(By.CSS_SELECTOR, "pre")  # numpy/requests differ between them
    browser.execute_script("window.scrollTo(0, 0)")
    screenshot("compare")
    browser.execute_script("arguments[0].scrollIntoView()", chart(browser, "loss"))
    browser.execute_script("window.scrollBy(0, -110)")
    screenshot("compare-curves")

    browser.back()
    wait(browser, lambda d: len(run_rows(d)) == 6)


def test_live_run_gets_new_points_without_reload(
    browser: Any, page: Callable[[str], None], scenario: Scenario, screenshot: Any
) -> None:
    page(f"/runs/{scenario.live}")
    wait(browser, lambda d: by_testid(d, "chart") and drawn(d, "loss") == scenario.live_steps)
    assert by_testid(browser, "live")
    browser.execute_script("window.__same_page = 1")
    now = int(time.time() * 1000)
    for step in range(scenario.live_steps, scenario.live_steps + 4):
        scenario.client.log_metric(
            scenario.live, "loss", 1.0 / (step + 1), step=step, timestamp=now
        )
    scenario.live_steps += 4
    wait(browser, lambda d: drawn(d, "loss") == scenario.live_steps, timeout=12)
    assert browser.execute_script("return window.__same_page") == 1  # no reload happened
    screenshot("live-run")


def test_hostile_values_are_text(
    browser: Any, page: Callable[[str], None], scenario: Scenario, screenshot: Any
) -> None:
    page(f"/experiments/{scenario.hostile_exp}")
    wait(browser, lambda d: len(run_rows(d)) == 1)
    assert HOSTILE_IMG in run_rows(browser)[0].text
    page(f"/runs/{scenario.hostile_run}")
    wait(browser, lambda d: by_testid(d, "param-row") and by_testid(d, "tag-row"))
    assert by_testid(browser, "run-name")[0].text == HOSTILE_IMG
    assert HOSTILE_IMG in by_testid(browser, "param-row")[0].text
    tags = {r.get_attribute("data-key"): r for r in by_testid(browser, "tag-row")}
    assert HOSTILE_SCRIPT in tags["note"].text
    assert HOSTILE_SCRIPT in by_testid(browser, "description")[0].text
    name = f"{HOSTILE_IMG}.txt"
    row = wait(
        browser,
        lambda d: [r for r in by_testid(d, "artifact-row") if r.get_attribute("data-path") == name],
    )
    row[0].click()
    text = wait(browser, lambda d: by_testid(d, "artifact-text"))[0]
    assert text.text == HOSTILE_SCRIPT + HOSTILE_IMG
    screenshot("hostile")
    assert_no_alert(browser)
    assert browser.find_elements(By.CSS_SELECTOR, 'img[src="x"], img[onerror]') == []
    scripts = browser.execute_script(
        "return [...document.scripts].map(s => s.src || s.textContent.slice(0, 40))"
    )
    index = (Path(report.STATIC_DIR) / "index.html").read_text()
    expected = re.findall(r'<script src="(/static/[^"]+)"></script>', index)
    assert len(expected) > 1 and len(scripts) == len(expected), scripts  # nothing injected
    assert all(s.endswith(e) for s, e in zip(scripts, expected, strict=True)), scripts


def test_report_renders_from_file_with_network_off(
    browser: Any, scenario: Scenario, screenshot: Any, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    done = run_report(scenario.children[:3], scenario, out)
    assert done.returncode == 0, done.stderr
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    try:
        browser.get(out.as_uri())
        wait(browser, lambda d: by_testid(d, "chart") and drawn(d, "loss") == 3 * EPOCHS)
        assert drawn(browser, "accuracy") == 3 * EPOCHS
        assert drawn(browser, BATCH_KEY) == 3 * EPOCHS
        rows = {r.get_attribute("data-key"): r for r in by_testid(browser, "param-row")}
        assert rows["lr"].find_elements(By.CSS_SELECTOR, "td.diff")
        assert by_testid(browser, "compare-metrics")[0].find_elements(By.CSS_SELECTOR, "td.best")
        urls = browser.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )
        assert all(u.startswith("file:") for u in urls), urls
        assert browser.current_url.startswith("file:")
        screenshot("report")
    finally:
        browser.execute_cdp_cmd(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )


def test_report_with_hostile_values_stays_text(
    browser: Any, scenario: Scenario, tmp_path: Path
) -> None:
    out = tmp_path / "hostile.html"
    done = run_report([scenario.children[0], scenario.hostile_run], scenario, out)
    assert done.returncode == 0, done.stderr
    browser.get(out.as_uri())
    wait(browser, lambda d: by_testid(d, "compare-params") and drawn(d, "loss") > 0)
    heads = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "th.runcol")]
    assert HOSTILE_IMG in heads
    rows = {r.get_attribute("data-key"): r for r in by_testid(browser, "param-row")}
    assert HOSTILE_IMG in rows["payload"].text
    assert_no_alert(browser)
    assert browser.find_elements(By.CSS_SELECTOR, 'img[src="x"], img[onerror]') == []
