"""The tracklib logger: visible by default, filterable, never printed twice."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from mlflow_helpers import subprocess_env


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=60,
        check=True,
    )


def test_messages_reach_stderr_with_no_logging_configured() -> None:
    done = _run("""
        from tracklib.logger import get_logger
        get_logger().warning("disk %s is full", "/x")
        get_logger().info("waiting for the server")
    """)
    lines = done.stderr.splitlines()
    assert lines == ["tracklib: disk /x is full", "tracklib: waiting for the server"]


def test_an_application_handler_gets_them_once() -> None:
    done = _run("""
        import logging
        logging.basicConfig(format="APP %(name)s %(levelname)s %(message)s", level=logging.INFO)
        from tracklib.logger import get_logger
        get_logger().warning("disk full")
    """)
    assert done.stderr.splitlines() == ["APP tracklib WARNING disk full"]


def test_setlevel_silences_them() -> None:
    done = _run("""
        import logging
        logging.getLogger("tracklib").setLevel(logging.ERROR)
        from tracklib.logger import get_logger
        get_logger().warning("disk full")
        get_logger().error("lost")
    """)
    assert done.stderr.splitlines() == ["tracklib: lost"]


def test_an_environment_snapshot_failure_is_logged_not_raised() -> None:
    done = _run("""
        import tracklib
        from tracklib.environment import capture
        def broken(*args, **kwargs):
            raise OSError("no git")
        capture.capture_environment = broken
        with tracklib.start_run(capture_env=True) as run:
            tracklib.log_metric("m", 1.0)
        print(run.info.status)
    """)
    assert done.stdout.strip() == "FINISHED"
    assert "tracklib: could not record the environment of run" in done.stderr
    assert "no git" in done.stderr
