"""The bad-input table: every bad call raises a specific error, writes nothing, and the run
stays usable.

Each case goes through the fluent API on an active run. "Nothing written" is checked by
comparing every path, symlink and file content under the run's folder before and after.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import tracklib
from tracklib.errors import InvalidInputError, RunStateError


@dataclass
class Active:
    run: tracklib.ActiveRun
    run_dir: Path
    tmp: Path
    checks: int = 0

    def snapshot(self) -> dict[str, Any]:
        """Every entry below the run folder: folders, symlinks (not followed), file bytes."""
        seen: dict[str, Any] = {}
        for folder, dirs, files in os.walk(self.run_dir):
            for name in dirs + files:
                path = Path(folder, name)
                rel = path.relative_to(self.run_dir).as_posix()
                if path.is_symlink():
                    seen[rel] = ("link", os.readlink(path))
                elif path.is_dir():
                    seen[rel] = ("dir",)
                else:
                    seen[rel] = ("file", path.read_bytes())
        return seen

    def assert_rejected(self, call: Callable[[], object], needle: str) -> InvalidInputError:
        """``call`` raises InvalidInputError naming ``needle``, writes nothing, run usable."""
        before = self.snapshot()
        with pytest.raises(InvalidInputError) as info:
            call()
        assert isinstance(info.value, ValueError)
        assert needle in str(info.value)
        assert self.snapshot() == before
        self.checks += 1
        tracklib.log_metric("still_usable", 1.0, step=self.checks)
        lines = (self.run_dir / "metrics" / "still_usable").read_bytes().splitlines()
        assert int(lines[-1].split()[2]) == self.checks
        return info.value


@pytest.fixture
def active(tmp_path: Path) -> Iterator[Active]:
    root = tmp_path / "mlruns"
    tracklib.set_tracking_uri(root)
    (tmp_path / "local.txt").write_text("local file")
    (tmp_path / "local_dir" / "sub").mkdir(parents=True)
    (tmp_path / "local_dir" / "sub" / "f.txt").write_text("in a folder")
    with tracklib.start_run() as run:
        tracklib.log_metric("loss", 0.5)
        tracklib.log_param("fixed", "1")
        yield Active(run, root / run.info.experiment_id / run.info.run_id, tmp_path)


# ------------------------------------------------------------------ keys
BAD_KEYS: dict[str, Any] = {
    "bang": "a!b",
    "backslash": "a\\b",
    "nul": "a\0b",
    "newline": "a\nb",
    "dotdot": "..",
    "dotdot_inside": "a/../b",
    "leading_slash": "/abs",
    "double_slash": "a//b",
    "trailing_slash": "a/",
    "empty": "",
    "too_long": "k" * 251,
    "int": 5,
    "none": None,
}


def key_needle(key: Any) -> str:
    """What the message must show of the key (long keys are shown cut to 40 characters)."""
    return repr(key[:40]) if isinstance(key, str) and len(key) > 250 else repr(key)


KEY_CALLS: dict[str, Callable[[Any], object]] = {
    "log_metric": lambda key: tracklib.log_metric(key, 1.0),
    "log_metrics": lambda key: tracklib.log_metrics({"good_metric": 1.0, key: 2.0}),
    "log_param": lambda key: tracklib.log_param(key, 1),
    "log_params": lambda key: tracklib.log_params({"good_param": 1, key: 2}),
    "set_tag": lambda key: tracklib.set_tag(key, "v"),
    "set_tags": lambda key: tracklib.set_tags({"good_tag": "v", key: "w"}),
}


@pytest.mark.parametrize("api", sorted(KEY_CALLS))
@pytest.mark.parametrize("case", sorted(BAD_KEYS))
def test_bad_keys_are_rejected(active: Active, api: str, case: str) -> None:
    key = BAD_KEYS[case]
    active.assert_rejected(lambda: KEY_CALLS[api](key), key_needle(key))


@pytest.mark.parametrize("case", sorted(BAD_KEYS))
def test_mlflow_rejects_the_same_keys(case: str) -> None:
    """The table is MLflow's rules: its own validators (and key limit) refuse every key."""
    from mlflow.utils import validation as mlflow_rules

    key = BAD_KEYS[case]
    if isinstance(key, str) and len(key) > mlflow_rules.MAX_ENTITY_KEY_LENGTH:
        return  # MLflow checks the length separately, against this very limit
    for check in (
        mlflow_rules._validate_metric_name,
        mlflow_rules._validate_param_name,
        mlflow_rules._validate_tag_name,
    ):
        with pytest.raises(Exception):  # noqa: B017 - MlflowException or TypeError
            check(key)


def test_too_long_key_is_one_past_mlflows_limit() -> None:
    from mlflow.utils.validation import MAX_ENTITY_KEY_LENGTH

    assert len(BAD_KEYS["too_long"]) == MAX_ENTITY_KEY_LENGTH + 1


# ------------------------------------------------------------------ metric values, steps, times
BAD_VALUES: dict[str, Any] = {"str": "1.0", "none": None, "list": [1.0], "complex": 1 + 2j}


@pytest.mark.parametrize("batch", [False, True])
@pytest.mark.parametrize("case", sorted(BAD_VALUES))
def test_non_real_metric_values_are_rejected(active: Active, case: str, batch: bool) -> None:
    value = BAD_VALUES[case]
    if batch:
        active.assert_rejected(lambda: tracklib.log_metrics({"ok": 1.0, "m": value}), repr(value))
    else:
        active.assert_rejected(lambda: tracklib.log_metric("m", value), repr(value))


def test_nan_and_inf_are_accepted_and_stored_as_mlflow_stores_them(
    active: Active, tmp_path: Path
) -> None:
    from mlflow.tracking import MlflowClient

    values = [math.nan, math.inf, -math.inf]
    for value in values:
        tracklib.log_metric("odd", value, step=0, timestamp=1)
    ours = [
        line.split()[1] for line in (active.run_dir / "metrics" / "odd").read_bytes().splitlines()
    ]

    theirs_root = tmp_path / "mlflow-store"
    mlflow_client = MlflowClient(tracking_uri=theirs_root.as_uri())
    run_id = mlflow_client.create_run("0").info.run_id
    for value in values:
        mlflow_client.log_metric(run_id, "odd", value, timestamp=1, step=0)
    theirs_file = theirs_root / "0" / run_id / "metrics" / "odd"
    assert ours == [line.split()[1] for line in theirs_file.read_bytes().splitlines()]
    assert ours == [b"nan", b"inf", b"-inf"]


BAD_STEPS: dict[str, Any] = {"float": 1.5, "whole_float": 2.0, "str": "3", "bool": True}


@pytest.mark.parametrize("case", sorted(BAD_STEPS))
def test_non_integer_steps_are_rejected(active: Active, case: str) -> None:
    step = BAD_STEPS[case]
    active.assert_rejected(lambda: tracklib.log_metric("m", 1.0, step=step), repr(step))
    active.assert_rejected(lambda: tracklib.log_metrics({"m": 1.0}, step=step), repr(step))


BAD_TIMESTAMPS: dict[str, Any] = {"negative": -1, "float": 1.5, "str": "now", "bool": True}


@pytest.mark.parametrize("case", sorted(BAD_TIMESTAMPS))
def test_bad_timestamps_are_rejected(active: Active, case: str) -> None:
    ts = BAD_TIMESTAMPS[case]
    active.assert_rejected(lambda: tracklib.log_metric("m", 1.0, timestamp=ts), repr(ts))
    active.assert_rejected(lambda: tracklib.log_metrics({"m": 1.0}, timestamp=ts), repr(ts))


# ------------------------------------------------------------------ artifacts
ESCAPING_PATHS = ["../x", "/abs", "a/../../b", "..", "a/..\\..\\b"]

ARTIFACT_CALLS: dict[str, Callable[[Path, str], object]] = {
    "log_artifact": lambda tmp, p: tracklib.log_artifact(tmp / "local.txt", artifact_path=p),
    "log_artifacts": lambda tmp, p: tracklib.log_artifacts(tmp / "local_dir", artifact_path=p),
    "log_text": lambda _, p: tracklib.log_text("text", f"{p}/file.txt"),
    "log_dict": lambda _, p: tracklib.log_dict({"a": 1}, f"{p}/config.json"),
}


@pytest.mark.parametrize("api", sorted(ARTIFACT_CALLS))
@pytest.mark.parametrize("path", ESCAPING_PATHS)
def test_artifact_paths_escaping_the_run_are_rejected(active: Active, api: str, path: str) -> None:
    shown = repr(path)[1:-1]  # messages quote paths with repr()
    active.assert_rejected(lambda: ARTIFACT_CALLS[api](active.tmp, path), shown)
    assert sorted(p.name for p in active.tmp.iterdir()) == ["local.txt", "local_dir", "mlruns"]


@pytest.mark.parametrize("api", sorted(ARTIFACT_CALLS))
def test_symlink_in_artifact_folder_pointing_outside_is_refused(active: Active, api: str) -> None:
    outside = active.tmp / "outside"
    outside.mkdir()
    (active.run_dir / "artifacts" / "link").symlink_to(outside, target_is_directory=True)
    active.assert_rejected(lambda: ARTIFACT_CALLS[api](active.tmp, "link"), "link")
    assert list(outside.iterdir()) == []


def test_symlinked_artifact_file_pointing_outside_is_refused(active: Active) -> None:
    target = active.tmp / "precious.txt"
    target.write_text("keep me")
    (active.run_dir / "artifacts" / "notes.txt").symlink_to(target)
    active.assert_rejected(lambda: tracklib.log_text("overwrite", "notes.txt"), "notes.txt")
    assert target.read_text() == "keep me"


def test_missing_local_file_for_log_artifact(active: Active) -> None:
    missing = active.tmp / "no-such-file.bin"
    active.assert_rejected(lambda: tracklib.log_artifact(missing), "no-such-file.bin")
    active.assert_rejected(
        lambda: tracklib.log_artifacts(active.tmp / "no-such-dir"), "no-such-dir"
    )


# ------------------------------------------------------------------ params
def test_changed_param_names_key_and_both_values(active: Active) -> None:
    error = active.assert_rejected(lambda: tracklib.log_param("fixed", 2), "'fixed'")
    assert "'1'" in str(error) and "'2'" in str(error)
    tracklib.log_param("fixed", 1)  # the same value again is fine
    assert (active.run_dir / "params" / "fixed").read_bytes() == b"1"


def test_log_params_with_one_conflict_among_new_ones_writes_nothing(active: Active) -> None:
    active.assert_rejected(lambda: tracklib.log_params({"new": 1, "fixed": 2}), "'fixed'")
    assert not (active.run_dir / "params" / "new").exists()


def test_over_long_param_value_is_truncated_with_a_warning(active: Active) -> None:
    from mlflow.utils.validation import MAX_PARAM_VAL_LENGTH

    long_value = "v" * (MAX_PARAM_VAL_LENGTH + 1)
    with pytest.warns(UserWarning, match="truncated"):
        tracklib.log_param("long", long_value)
    assert (active.run_dir / "params" / "long").read_bytes() == b"v" * MAX_PARAM_VAL_LENGTH
    with pytest.warns(UserWarning, match="truncated"):
        tracklib.log_param("long", long_value)  # compared after truncation: no conflict


# ------------------------------------------------------------------ no active run
NO_RUN_CALLS: dict[str, Callable[[Path], object]] = {
    "log_metric": lambda _: tracklib.log_metric("m", 1.0),
    "log_metrics": lambda _: tracklib.log_metrics({"m": 1.0}),
    "log_param": lambda _: tracklib.log_param("p", 1),
    "log_params": lambda _: tracklib.log_params({"p": 1}),
    "set_tag": lambda _: tracklib.set_tag("t", 1),
    "set_tags": lambda _: tracklib.set_tags({"t": 1}),
    "log_artifact": lambda tmp: tracklib.log_artifact(tmp / "f.txt"),
    "log_artifacts": lambda tmp: tracklib.log_artifacts(tmp),
    "log_text": lambda _: tracklib.log_text("x", "x.txt"),
    "log_dict": lambda _: tracklib.log_dict({"a": 1}, "a.json"),
}


@pytest.mark.parametrize("api", sorted(NO_RUN_CALLS))
def test_logging_with_no_active_run_raises_and_starts_nothing(tmp_path: Path, api: str) -> None:
    (tmp_path / "f.txt").write_text("x")
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(RunStateError, match="start_run"):
        NO_RUN_CALLS[api](tmp_path)
    assert tracklib.active_run() is None
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no ./mlruns appeared
