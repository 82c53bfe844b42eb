"""Browser fixtures: the store the browser tests look at, the UI server over it, real headless
Chromium driven by Selenium, a screenshot folder, and helpers that drive the pages.

The store: an experiment with a parent sweep run and its 4 child runs (params, metrics per
epoch, artifacts of every previewable kind, environment snapshots), a RUNNING run the tests
keep logging to, and an experiment whose names, params, tags and artifact names are hostile
HTML.

Chromium and its driver come from Debian (``chromium``, ``chromium-driver``). When they are
missing and the suite runs as root on a machine with apt-get (a fresh Debian container), the
fixture installs them once, under a file lock so parallel sessions do not run apt twice. Only
when no Chromium can be had do the browser tests skip, with one reason. Selenium is imported
inside the helpers, so this module loads without it. The test module imports the helpers
before pytest loads this as a plugin, too late to rewrite its asserts: PYTEST_DONT_REWRITE
says so (its one assert carries its own message).
"""

from __future__ import annotations

import copy
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tracklib.environment import capture
from tracklib.tracking.client import Client

HOSTILE_IMG = '"><img src=x onerror=alert(1)>'
HOSTILE_SCRIPT = "<script>alert(1)</script>"
EPOCHS = 12
BATCH_KEY = "train/batch loss"  # a key that must be quoted in URLs (report lookups too)
SWEEP = [
    {"lr": "0.1", "dropout": "0.0"},
    {"lr": "0.1", "dropout": "0.3"},
    {"lr": "0.01", "dropout": "0.0"},
    {"lr": "0.01", "dropout": "0.3"},
]
WAIT = 15

CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
WINDOW = (1400, 900)
_BROWSERS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
_DRIVERS = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")
_APT_TIMEOUT = 900


def _first(paths: tuple[str, ...], name: str) -> str | None:
    for path in paths:
        if os.access(path, os.X_OK):
            return path
    return shutil.which(name)


def _found() -> tuple[str, str] | None:
    browser = _first(_BROWSERS, "chromium")
    driver = _first(_DRIVERS, "chromedriver")
    return (browser, driver) if browser and driver else None


def _apt_install() -> str | None:
    """Install Debian's chromium + chromium-driver; returns why it could not, or None."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "not root, so apt-get cannot install chromium chromium-driver"
    if shutil.which("apt-get") is None:
        return "no apt-get to install chromium chromium-driver"
    from filelock import FileLock  # a runtime dependency of tracklib

    lock = Path(tempfile.gettempdir()) / "tracklib-chromium-apt.lock"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with FileLock(str(lock), timeout=_APT_TIMEOUT):
        if _found():  # another session installed it while we waited for the lock
            return None
        for cmd in (
            ["apt-get", "update", "-q"],
            ["apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium",
             "chromium-driver"],
        ):  # fmt: skip
            done = subprocess.run(
                cmd, env=env, capture_output=True, text=True, timeout=_APT_TIMEOUT, check=False
            )
            if done.returncode != 0:
                tail = (done.stderr or done.stdout).strip().splitlines()[-1:]
                return f"`{' '.join(cmd)}` failed: {' '.join(tail)}"
    return None


@pytest.fixture(scope="session")
def chromium_paths() -> tuple[str, str]:
    """(chromium, chromedriver) paths; installs them with apt-get when missing and possible."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.skip("browser tests need selenium: pip install -e '.[test]'")
    found = _found()
    if found is None:
        why = _apt_install()
        found = _found()
        if found is None:
            pytest.skip(f"no Chromium for the browser tests: {why or 'apt-get gave no chromium'}")
    return found


@pytest.fixture(scope="module")
def browser(
    chromium_paths: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """A fresh headless Chromium (own profile) at 1400x900, quit after the module."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = chromium_paths
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_argument(f"--window-size={WINDOW[0]},{WINDOW[1]}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_window_size(*WINDOW)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def screenshot(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """``screenshot(name)`` saves the page as ``ui-<name>.png`` in a temp folder (printed at
    the end of the module) and, when ``TRACKLIB_UI_SCREENSHOTS`` names a folder, there too."""
    folder = tmp_path_factory.mktemp("ui-screenshots")
    extra = os.environ.get("TRACKLIB_UI_SCREENSHOTS")

    def shoot(name: str, keep_pointer: bool = False) -> Path:
        if not keep_pointer:  # no hover highlight left where the last click was
            from selenium.webdriver.common.action_chains import ActionChains
            from selenium.webdriver.common.by import By

            brand = browser.find_elements(By.CSS_SELECTOR, ".brand-mark")
            if brand:
                ActionChains(browser).move_to_element(brand[0]).perform()
        path = folder / f"ui-{name}.png"
        png = browser.get_screenshot_as_png()
        path.write_bytes(png)
        if extra:
            Path(extra).mkdir(parents=True, exist_ok=True)
            (Path(extra) / path.name).write_bytes(png)
        return path

    print(f"\nbrowser screenshots: {folder}")
    return shoot


# ---------------------------------------------------------------- the store and the server
def loss_at(cfg: dict[str, str], epoch: int) -> float:
    """A plausible training curve: faster descent with the larger lr, a floor from dropout."""
    lr, dropout = float(cfg["lr"]), float(cfg["dropout"])
    return round(0.08 + float(dropout) * 0.15 + 1.2 / (1.0 + epoch * lr * 12), 5)


def tiny_png(width: int = 240, height: int = 150) -> bytes:
    """A real PNG (a colour gradient) written by hand: no imaging library needed."""
    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 255 // width, y * 255 // height, 160)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )  # fmt: skip


def snapshot_files(snapshot: dict[str, Any]) -> dict[str, str]:
    return capture.snapshot_files(snapshot, None)


class Scenario:
    """Ids of what :func:`build_store` logged, and the client to log more."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.sweep_exp = ""
        self.parent = ""
        self.children: list[str] = []
        self.live = ""
        self.hostile_exp = ""
        self.hostile_run = ""
        self.live_steps = 0


def build_store(root: Path, tmp: Path) -> Scenario:
    """The store: the sweep (parent and 4 children), the live run, the hostile experiment."""
    client = Client(str(root))
    sc = Scenario(client)
    sc.sweep_exp = client.create_experiment("lstm-sweep")
    t0 = int(time.time() * 1000) - 3_600_000
    parent = client.create_run(sc.sweep_exp, start_time=t0, run_name="sweep-grid")
    sc.parent = parent.info.run_id
    client.log_param(sc.parent, "grid", "lr x dropout")
    client.set_tag(sc.parent, "mlflow.note.content", "4-config sweep of the LSTM baseline.")
    snap = capture.capture_environment()
    for i, cfg in enumerate(SWEEP):
        sc.children.append(_log_child(sc, i, cfg, t0 + i * 600_000, snap))
    _log_artifacts(client, sc.children[0], tmp)
    client.set_terminated(sc.parent, "FINISHED", end_time=t0 + 4 * 600_000)
    _log_live(sc)
    _log_hostile(sc)
    return sc


def _log_child(sc: Scenario, i: int, cfg: dict[str, str], start: int, snap: Any) -> str:
    """One run of the sweep: params, metrics per epoch, an environment snapshot."""
    client = sc.client
    run = client.create_run(
        sc.sweep_exp,
        start_time=start,
        run_name=f"lr{cfg['lr']}-d{cfg['dropout']}",
        tags={"mlflow.parentRunId": sc.parent, "team": "vision"},
    )
    rid = run.info.run_id
    for k, v in {**cfg, "batch_size": "32", "epochs": str(EPOCHS)}.items():
        client.log_param(rid, k, v)
    for epoch in range(EPOCHS):
        loss = loss_at(cfg, epoch)
        ts = start + epoch * 30_000
        client.log_metric(rid, "loss", loss, step=epoch, timestamp=ts)
        client.log_metric(rid, "val_loss", round(loss * 1.1, 5), step=epoch, timestamp=ts)
        client.log_metric(rid, "accuracy", round(1 - loss / 2, 5), step=epoch, timestamp=ts)
        client.log_metric(rid, BATCH_KEY, loss * 1.3, step=epoch, timestamp=ts)
    env = copy.deepcopy(snap)
    if i >= 2:  # the lr=0.01 runs "had" another numpy: env diff has something to show
        env["packages"] = [
            {**p, "version": "1.0.0", "requirement": f"{p['name']}==1.0.0"}
            if p["name"] in ("numpy", "requests") else p
            for p in env["packages"]
        ]  # fmt: skip
    for name, text in snapshot_files(env).items():
        client.log_text(rid, text, f"environment/{name}")
    client.set_terminated(rid, "FINISHED", end_time=start + EPOCHS * 30_000)
    return rid


def _log_artifacts(client: Client, first: str, tmp: Path) -> None:
    """Artifacts of every previewable kind, on the sweep's first run."""
    client.log_text(first, "epoch 0 done\nepoch 1 done\n", "logs/train.log")
    client.log_dict(first, {"model": "lstm", "layers": [64, 32], "lr": 0.1}, "config.json")
    client.log_dict(first, {"model": "lstm", "hidden": 40}, "config.yaml")
    rows = ["epoch,loss,accuracy"] + [
        f"{e},{loss_at(SWEEP[0], e)},{round(1 - loss_at(SWEEP[0], e) / 2, 5)}"
        for e in range(EPOCHS)
    ]
    client.log_text(first, "\n".join(rows) + "\n", "results/metrics.csv")
    png = tmp / "curve.png"
    png.write_bytes(tiny_png())
    client.log_artifact(first, png, "plots")


def _log_live(sc: Scenario) -> None:
    """A RUNNING run with 5 points (the live test logs more)."""
    live = sc.client.create_run(sc.sweep_exp, run_name="live-run")
    sc.live = live.info.run_id
    sc.client.log_param(sc.live, "lr", "0.05")
    now = int(time.time() * 1000)
    for step in range(5):
        sc.client.log_metric(sc.live, "loss", 1.0 / (step + 1), step=step, timestamp=now)
    sc.live_steps = 5


def _log_hostile(sc: Scenario) -> None:
    """An experiment and run whose names, params, tags and artifact name are hostile HTML."""
    client = sc.client
    sc.hostile_exp = client.create_experiment(f"hostile {HOSTILE_SCRIPT}")
    bad = client.create_run(sc.hostile_exp, run_name=HOSTILE_IMG, tags={"note": HOSTILE_SCRIPT})
    sc.hostile_run = bad.info.run_id
    client.log_param(sc.hostile_run, "payload", HOSTILE_IMG)
    client.set_tag(sc.hostile_run, "mlflow.note.content", f"{HOSTILE_IMG} {HOSTILE_SCRIPT}")
    client.log_metric(sc.hostile_run, "loss", 0.5, step=0)
    client.log_text(sc.hostile_run, HOSTILE_SCRIPT + HOSTILE_IMG, f"{HOSTILE_IMG}.txt")
    client.set_terminated(sc.hostile_run, "FINISHED")


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    tmp = tmp_path_factory.mktemp("ui-store")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TRACKLIB_CACHE_DIR", str(tmp / "cache"))
        return build_store(tmp / "mlruns", tmp)


@pytest.fixture(scope="module")
def server(scenario: Scenario) -> Iterator[Any]:
    from tracklib.ui import server as ui_server

    srv = ui_server.start(scenario.client.tracking_uri)
    try:
        yield srv
    finally:
        srv.close()


@pytest.fixture
def page(browser: Any, server: Any) -> Iterator[Callable[[str], None]]:
    """``page(path)`` opens a page of the UI; after the test, the console must hold no error."""
    state = {"authed": False}

    def open_page(path: str) -> None:
        if not state["authed"]:  # the first visit carries the token; the cookie does the rest
            browser.get(server.url)
            state["authed"] = True
        browser.get(server.base + path)
        wait(browser, lambda d: d.execute_script("return document.readyState") == "complete")

    open_page.expected = []  # type: ignore[attr-defined]  # console errors a test provokes
    browser.get_log("browser")  # drop what earlier tests left
    yield open_page
    errors = [
        e for e in browser.get_log("browser")
        if e["level"] == "SEVERE"
        and not any(x in e["message"] for x in open_page.expected)  # type: ignore[attr-defined]
    ]  # fmt: skip
    assert errors == [], errors


# ---------------------------------------------------------------- driving the pages
def wait(driver: Any, cond: Callable[[Any], Any], timeout: float = WAIT) -> Any:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(
        driver, timeout, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,)
    ).until(cond)


def by_testid(driver: Any, name: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return list(driver.find_elements(By.CSS_SELECTOR, f'[data-testid="{name}"]'))


def chart(driver: Any, key: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, f'[data-testid="chart"][data-key="{key}"]')


def drawn(driver: Any, key: str) -> int:
    return int(chart(driver, key).get_attribute("data-points"))


def run_rows(driver: Any) -> list[Any]:
    return by_testid(driver, "run-row")


def assert_no_alert(driver: Any) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018  (reading it is what raises)


def run_report(run_ids: list[str], scenario: Scenario, out: Path) -> Any:
    """``tracklib report RUN... -o out`` as a user runs it (a subprocess of this checkout)."""
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, *sys.path])}
    return subprocess.run(
        [sys.executable, "-m", "tracklib", "report", *run_ids,
         "--tracking-uri", scenario.client.tracking_uri, "-o", str(out)],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
