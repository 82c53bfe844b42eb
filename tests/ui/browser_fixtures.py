"""Browser fixtures: real headless Chromium driven by Selenium, and a screenshot folder.

Chromium and its driver come from Debian (``chromium``, ``chromium-driver``). When they are
missing and the suite runs as root on a machine with apt-get (a fresh Debian container), the
fixture installs them once, under a file lock so parallel sessions do not run apt twice. Only
when no Chromium can be had do the browser tests skip, with one reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

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
