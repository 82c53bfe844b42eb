"""``tracklib experiments / runs / show / compare / history`` through ``main(argv)``.

Every expectation comes from what :class:`tracklib.Client` (or the files on disk) report for
the same store, never from a snapshot of the command's own output.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import tracklib
from tracklib.cli import main

ESC = "\x1b["


@dataclass
class Store:
    """A small store: experiment ``exp`` with four runs, ``other`` with one."""

    uri: str
    client: tracklib.Client
    exp_id: str
    other_id: str
    runs: list[str]  # the four runs of ``exp``, in creation order
    other_run: str


def _make_run(client: tracklib.Client, exp_id: str, i: int, start: int) -> str:
    run = client.create_run(exp_id, start_time=start, run_name=f"trial-{i}", tags={"team": "a"})
    run_id = run.info.run_id
    client.log_param(run_id, "lr", [0.1, 0.01, 0.001, 0.01][i])
    client.log_param(run_id, "batch", 32)  # equal in every run
    for step in range(3):
        client.log_metric(run_id, "loss", [0.9, 0.4, 0.7, 0.5][i] / (step + 1), step=step)
    client.log_metric(run_id, "accuracy", [0.61, 0.83, 0.7, 0.83][i])
    client.log_metric(run_id, "epochs", 3.0)  # equal in every run
    client.set_terminated(run_id, end_time=start + 1500 * (i + 1))
    return run_id


@pytest.fixture
def store(tmp_path: Path) -> Store:
    uri = os.fspath(tmp_path / "mlruns")
    client = tracklib.Client(uri)
    exp_id = client.create_experiment("exp")
    base = 1_700_000_000_000
    runs = [_make_run(client, exp_id, i, base + 60_000 * i) for i in range(4)]
    client.log_text(runs[0], "hello", "notes/readme.txt")
    client.log_text(runs[0], "x" * 2000, "notes/deep/big.txt")
    client.log_text(runs[0], "{}", "config.json")
    client.set_tag(runs[0], "stage", "baseline")
    other_id = client.create_experiment("other")
    other = client.create_run(other_id, start_time=base, run_name="lonely").info.run_id
    client.log_param(other, "lr", "0.5")
    return Store(uri, client, exp_id, other_id, runs, other)


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> Any:
    code, out, err = _run([*argv, "--json"], capsys)
    assert code == 0, err

    def refuse(name: str) -> None:  # strict JSON: no NaN / Infinity literals
        raise AssertionError(f"non-standard JSON constant {name}")

    return json.loads(out, parse_constant=refuse)


def _same_number(shown: Any, actual: float) -> bool:
    if isinstance(actual, float) and math.isnan(actual):
        return bool(shown == "NaN")
    return bool(shown == actual)


# ----------------------------------------------------------------- experiments
def test_experiments_json_matches_client(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    got = _json(["experiments", "--tracking-uri", store.uri], capsys)
    expected = store.client.search_experiments()
    assert {e["experiment_id"]: (e["name"], e["artifact_location"]) for e in got} == {
        e.experiment_id: (e.name, e.artifact_location) for e in expected
    }


def test_experiments_all_adds_deleted(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    store.client.delete_experiment(store.other_id)
    code, out, _ = _run(["experiments", "--tracking-uri", store.uri], capsys)
    assert code == 0
    assert "exp" in out and "other" not in out
    code, out, _ = _run(["experiments", "--all", "--tracking-uri", store.uri], capsys)
    line = next(line for line in out.splitlines() if "other" in line)
    assert store.other_id in line and "deleted" in line


# ----------------------------------------------------------------- runs
def test_runs_json_matches_client(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    got = _json(["runs", "--experiment", "exp", "--tracking-uri", store.uri], capsys)
    expected = store.client.search_runs([store.exp_id])
    assert [r["run_id"] for r in got] == [r.info.run_id for r in expected]
    for shown, run in zip(got, expected, strict=True):
        assert shown["run_name"] == run.info.run_name
        assert shown["status"] == str(run.info.status)
        assert shown["start_time"] == run.info.start_time
        assert shown["end_time"] == run.info.end_time
        assert shown["params"] == run.data.params
        assert shown["metrics"] == run.data.metrics
        assert shown["tags"] == run.data.tags


def test_runs_default_is_every_active_experiment(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    got = _json(["runs", "--tracking-uri", store.uri], capsys)
    assert [r["run_id"] for r in got] == [r.info.run_id for r in store.client.search_runs()]
    assert store.other_run in {r["run_id"] for r in got}


def test_runs_default_follows_experiment_env_var(
    store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "other")
    got = _json(["runs", "--tracking-uri", store.uri], capsys)
    assert [r["run_id"] for r in got] == [store.other_run]
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME")
    monkeypatch.setenv("TRACKLIB_EXPERIMENT_ID", store.exp_id)
    got = _json(["runs", "--tracking-uri", store.uri], capsys)
    assert sorted(r["run_id"] for r in got) == sorted(store.runs)


def test_runs_experiment_by_id_and_repeated(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["runs", "-e", store.exp_id, "-e", "other", "--tracking-uri", store.uri]
    got = _json(argv, capsys)
    assert sorted(r["run_id"] for r in got) == sorted([*store.runs, store.other_run])


def test_runs_max_and_deleted(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["runs", "-e", "exp", "--max", "2", "--json", "--tracking-uri",
                           store.uri], capsys)  # fmt: skip
    assert code == 0
    expected = store.client.search_runs([store.exp_id], max_results=2)
    assert [r["run_id"] for r in json.loads(out)] == [r.info.run_id for r in expected]
    assert "--max" in err  # says that more runs match
    store.client.delete_run(store.runs[1])
    active = _json(["runs", "-e", "exp", "--tracking-uri", store.uri], capsys)
    assert store.runs[1] not in {r["run_id"] for r in active}
    every = _json(["runs", "-e", "exp", "--deleted", "--tracking-uri", store.uri], capsys)
    assert store.runs[1] in {r["run_id"] for r in every}


def _table_rows(out: str) -> dict[str, str]:
    """Table lines by their first cell (the short run id)."""
    return {line.split()[0]: line for line in out.splitlines()[1:] if line.strip()}


def test_runs_table_shows_varying_columns(
    store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    code, out, _ = _run(["runs", "-e", "exp", "--tracking-uri", store.uri], capsys)
    assert code == 0
    header = out.splitlines()[0].split()
    assert "params.lr" in header and "metrics.loss" in header and "metrics.accuracy" in header
    assert "params.batch" not in header and "metrics.epochs" not in header  # equal everywhere
    assert "EXPERIMENT" not in header  # one experiment listed
    rows = _table_rows(out)
    assert len(rows) == 4
    for run_id in store.runs:
        run = store.client.get_run(run_id)
        cells = rows[run_id[:8]].split()
        assert run.info.run_name in cells and "FINISHED" in cells
        assert cells[header.index("params.lr") + 1] == run.data.params["lr"]  # START is 2 words
        assert float(cells[header.index("metrics.loss") + 1]) == pytest.approx(
            run.data.metrics["loss"], rel=1e-5
        )


def test_runs_table_caps_columns_and_names_experiments(
    store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    code, out, _ = _run(["runs", "--tracking-uri", store.uri], capsys)
    assert code == 0
    assert "EXPERIMENT" in out.splitlines()[0]  # runs of two experiments
    assert "more varying params/metrics" in out
    assert not any(col in out.splitlines()[0] for col in ("params.", "metrics."))


def test_runs_explicit_columns(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["runs", "-e", "exp", "-c", "batch", "-c", "tags.stage", "--tracking-uri", store.uri]
    code, out, _ = _run(argv, capsys)
    assert code == 0
    header = out.splitlines()[0].split()
    assert header[-2:] == ["params.batch", "tags.stage"]
    assert _table_rows(out)[store.runs[0][:8]].split()[-1] == "baseline"
    code, _, err = _run([*argv[:3], "-c", "no_such_key", "--tracking-uri", store.uri], capsys)
    assert code == 2 and "no_such_key" in err


def test_runs_exit_codes(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runs", "-e", "missing", "--tracking-uri", store.uri]) == 1
    assert "missing" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["runs", "--max", "0", "--tracking-uri", store.uri])
    assert info.value.code == 2
    assert main(["runs", "--filter", "metrics.loss <<< 1", "--tracking-uri", store.uri]) == 2


def test_runs_filter_and_order_reach_search(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    flt, order = "metrics.loss < 0.3 and params.batch = '32'", ["metrics.accuracy DESC"]
    expected = store.client.search_runs([store.exp_id], filter_string=flt, order_by=order)
    assert 0 < len(expected) < 4  # the filter keeps some runs, not all
    got = _json(["runs", "-e", "exp", "--filter", flt, "--order-by", *order,
                 "--tracking-uri", store.uri], capsys)  # fmt: skip
    assert [r["run_id"] for r in got] == [r.info.run_id for r in expected]


def test_runs_order_by_unquoted_and_repeated(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    order = ["metrics.accuracy DESC", "attributes.run_name ASC"]
    expected = store.client.search_runs([store.exp_id], order_by=order)
    argv = ["runs", "-e", "exp", "--order-by", "metrics.accuracy", "DESC",
            "--order-by", "attributes.run_name", "asc", "--tracking-uri", store.uri]  # fmt: skip
    got = _json(argv, capsys)
    assert [r["run_id"] for r in got] == [r.info.run_id for r in expected]
    assert [r["run_id"] for r in got] != [r.info.run_id for r in store.client.search_runs(
        [store.exp_id], order_by=order[:1])]  # fmt: skip  # the second key matters (a tie)


# ----------------------------------------------------------------- show
def _artifacts_on_disk(store: Store, run_id: str) -> dict[str, int | None]:
    root = Path(store.uri, store.exp_id, run_id, "artifacts")
    found: dict[str, int | None] = {}
    for path in root.rglob("*"):
        rel = path.relative_to(root).as_posix()
        found[rel] = None if path.is_dir() else path.stat().st_size
    return found


def test_show_json_matches_client_and_disk(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = store.runs[0]
    got = _json(["show", run_id, "--tracking-uri", store.uri], capsys)
    run = store.client.get_run(run_id)
    assert got["run_id"] == run_id and got["experiment_name"] == "exp"
    assert got["params"] == run.data.params
    assert got["metrics"] == run.data.metrics
    assert got["tags"] == run.data.tags
    shown = {a["path"]: a["file_size"] for a in got["artifacts"]}
    assert shown == _artifacts_on_disk(store, run_id)


def test_show_text_groups_system_tags(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["show", store.runs[0], "--tracking-uri", store.uri], capsys)
    assert code == 0
    sections = {block.splitlines()[0]: block for block in out.split("\n\n")}
    tags = store.client.get_run(store.runs[0]).data.tags
    user = {k for k in tags if not k.startswith("mlflow.")}
    system = {k for k in tags if k.startswith("mlflow.")}
    assert user and system
    assert {line.split()[0] for line in sections["Tags"].splitlines()[1:]} == user
    assert {line.split()[0] for line in sections["System tags"].splitlines()[1:]} == system
    listed = [line.split() for line in sections["Artifacts"].splitlines()[1:]]
    assert sorted(parts[0].rstrip("/") for parts in listed) == sorted(
        p.rsplit("/", 1)[-1] for p in _artifacts_on_disk(store, store.runs[0])
    )


def test_show_nan_metric_is_strict_json(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    store.client.log_metric(store.other_run, "broken", float("nan"))
    got = _json(["show", store.other_run, "--tracking-uri", store.uri], capsys)
    assert _same_number(got["metrics"]["broken"], float("nan"))


# ----------------------------------------------------------------- compare
def test_compare_json_matches_client(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    got = _json(["compare", *store.runs, "--tracking-uri", store.uri], capsys)
    runs = [store.client.get_run(r) for r in store.runs]
    assert [r["run_id"] for r in got["runs"]] == store.runs
    rows = {(row["kind"], row["key"]): row for row in got["rows"]}
    for kind in ("params", "metrics"):
        keys = {k for r in runs for k in getattr(r.data, kind)}
        assert {key for k, key in rows if k == kind} == keys
        for key in keys:
            values = [getattr(r.data, kind).get(key) for r in runs]
            row = rows[(kind, key)]
            assert row["values"] == dict(zip(store.runs, values, strict=True))
            assert row["differs"] == (len(set(values)) > 1)
    loss = [r.data.metrics["loss"] for r in runs]
    acc = [r.data.metrics["accuracy"] for r in runs]
    assert rows[("metrics", "loss")]["best"] == [store.runs[loss.index(min(loss))]]
    assert rows[("metrics", "accuracy")]["best"] == [  # a tie: both marked
        run_id for run_id, a in zip(store.runs, acc, strict=True) if a == max(acc)
    ]
    assert rows[("metrics", "epochs")]["best"] == []  # equal everywhere: nothing is best


def test_compare_maximize_overrides(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["compare", *store.runs, "--maximize", "loss", "--minimize", "accuracy"]
    got = _json([*argv, "--tracking-uri", store.uri], capsys)
    rows = {row["key"]: row for row in got["rows"] if row["kind"] == "metrics"}
    runs = [store.client.get_run(r) for r in store.runs]
    loss = [r.data.metrics["loss"] for r in runs]
    acc = [r.data.metrics["accuracy"] for r in runs]
    assert rows["loss"]["best"] == [store.runs[loss.index(max(loss))]]
    assert rows["accuracy"]["best"] == [store.runs[acc.index(min(acc))]]


def test_compare_diff_only(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    got = _json(["compare", *store.runs, "--diff-only", "--tracking-uri", store.uri], capsys)
    keys = {(row["kind"], row["key"]) for row in got["rows"]}
    assert ("params", "lr") in keys and ("metrics", "loss") in keys
    assert ("params", "batch") not in keys and ("metrics", "epochs") not in keys
    code, out, _ = _run(["compare", *store.runs, "--diff-only", "--tracking-uri", store.uri],
                        capsys)  # fmt: skip
    assert code == 0
    assert "params.batch" not in out and "params.lr" in out


def test_compare_text_marks_rows_and_heads_columns(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(["compare", *store.runs, "--tracking-uri", store.uri], capsys)
    assert code == 0
    assert ESC not in out  # captured output is not a terminal
    lines = out.splitlines()
    for run_id in store.runs:
        name = store.client.get_run(run_id).info.run_name
        assert f"{name} ({run_id[:8]})" in lines[0]
    rows = {}
    for line in lines[1:]:
        if not line.strip():
            break
        marked = line.startswith("*")
        key = line.lstrip("* ").split()[0]
        rows[key] = (marked, line)
    assert rows["params.lr"][0] and rows["metrics.loss"][0]
    assert not rows["params.batch"][0] and not rows["metrics.epochs"][0]
    runs = [store.client.get_run(r) for r in store.runs]
    loss = [r.data.metrics["loss"] for r in runs]
    best_loss = min(loss)
    assert rows["metrics.loss"][1].count("(best)") == 1
    cell = rows["metrics.loss"][1].split("(best)")[0].split()[-1]
    assert float(cell) == pytest.approx(best_loss, rel=1e-5)


def test_compare_needs_two_runs(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", store.runs[0], "--tracking-uri", store.uri]) == 2
    assert main(["compare", store.runs[0], store.runs[0], "--tracking-uri", store.uri]) == 2
    assert main(["compare", store.runs[0], "f" * 32, "--tracking-uri", store.uri]) == 1


# ----------------------------------------------------------------- colour
def _pretend_tty(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the captured stdout claim to be a terminal (call it inside the test: capsys
    swaps sys.stdout between fixture setup and the test body)."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)


def _compare_out(store: Store, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    code, out, _ = _run(["compare", *store.runs[:2], *extra, "--tracking-uri", store.uri], capsys)
    assert code == 0
    return out


def test_colour_on_a_terminal(
    store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _pretend_tty(monkeypatch)
    out = _compare_out(store, capsys)
    assert f"{ESC}33m*" in out  # a differing row, coloured
    assert f"{ESC}1;32m" in out  # a best value, coloured
    plain = next(line for line in out.splitlines() if "params.batch" in line)
    assert ESC not in plain.split("params.batch", 1)[1]  # equal rows stay plain


def test_no_colour_with_no_color_env(
    store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _pretend_tty(monkeypatch)
    assert ESC in _compare_out(store, capsys)  # the same call colours without NO_COLOR
    monkeypatch.setenv("NO_COLOR", "1")
    assert ESC not in _compare_out(store, capsys)
    monkeypatch.setenv("FORCE_COLOR", "1")  # NO_COLOR still wins
    assert ESC not in _compare_out(store, capsys)
    assert ESC not in _compare_out(store, capsys, "--color", "never")


def test_colour_when_piped_only_if_forced(
    store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    assert ESC not in _compare_out(store, capsys)
    assert ESC in _compare_out(store, capsys, "--color", "always")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert ESC in _compare_out(store, capsys)


def test_colour_never_reaches_json(
    store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _pretend_tty(monkeypatch)
    code, out, _ = _run(["compare", *store.runs[:2], "--json", "--tracking-uri", store.uri],
                        capsys)  # fmt: skip
    assert code == 0 and ESC not in out


# ----------------------------------------------------------------- run-id prefixes
def _two_runs_sharing_a_prefix(store: Store) -> tuple[str, list[str]]:
    """Create runs until two share their first character (17 suffice: 16 hex digits)."""
    exp = store.client.create_experiment("prefixes")
    seen: dict[str, list[str]] = {r[0]: [r] for r in [*store.runs, store.other_run]}
    if all(len(v) < 2 for v in seen.values()):
        for _ in range(17):
            run_id = store.client.create_run(exp).info.run_id
            seen.setdefault(run_id[0], []).append(run_id)
            if len(seen[run_id[0]]) > 1:
                break
    first, ids = next((k, v) for k, v in seen.items() if len(v) > 1)
    return first, ids


def test_unique_prefix_resolves(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    full = _json(["show", store.runs[2], "--tracking-uri", store.uri], capsys)
    short = _json(["show", store.runs[2][:12], "--tracking-uri", store.uri], capsys)
    assert short == full
    points = _json(["history", store.runs[2][:12], "loss", "--tracking-uri", store.uri], capsys)
    assert len(points) == len(store.client.get_metric_history(store.runs[2], "loss"))


def test_ambiguous_prefix_lists_candidates(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    prefix, ids = _two_runs_sharing_a_prefix(store)
    for argv in (["show", prefix], ["compare", prefix, store.runs[0]], ["history", prefix, "x"]):
        code, out, err = _run([*argv, "--tracking-uri", store.uri], capsys)
        assert code == 2 and out == ""
        assert "ambiguous" in err
        assert all(run_id in err for run_id in ids)


def test_prefix_not_found_and_invalid(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    taken = {r[:4] for r in [*store.runs, store.other_run]}
    missing = next(p for p in (f"{i:04x}" for i in range(0x10000)) if p not in taken)
    assert main(["show", missing, "--tracking-uri", store.uri]) == 1
    assert missing in capsys.readouterr().err
    assert main(["show", "../etc", "--tracking-uri", store.uri]) == 2


def test_prefix_reaches_env_and_reproduce(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    # The store was made without environment capture: the error names the resolved full id.
    for verb in ("env", "reproduce"):
        code, _, err = _run([verb, store.runs[1][:10], "--tracking-uri", store.uri], capsys)
        assert code == 1
        assert store.runs[1] in err and "no recorded environment" in err


# ----------------------------------------------------------------- history
def test_history_json_csv_and_table(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    run_id = store.runs[0]
    expected = store.client.get_metric_history(run_id, "loss")
    got = _json(["history", run_id, "loss", "--tracking-uri", store.uri], capsys)
    assert [(p["step"], p["value"], p["timestamp"]) for p in got] == [
        (m.step, m.value, m.timestamp) for m in expected
    ]
    code, out, _ = _run(["history", run_id, "loss", "--csv", "--tracking-uri", store.uri], capsys)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(int(r["step"]), float(r["value"]), int(r["timestamp"])) for r in rows] == [
        (m.step, m.value, m.timestamp) for m in expected
    ]
    code, out, _ = _run(["history", run_id, "loss", "--tracking-uri", store.uri], capsys)
    lines = out.splitlines()[1:]
    assert [(int(line.split()[0]), float(line.split()[1])) for line in lines] == [
        (m.step, m.value) for m in expected
    ]


def test_history_errors(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["history", store.runs[0], "nope", "--tracking-uri", store.uri], capsys)
    assert code == 1 and "nope" in err and "loss" in err  # lists the run's metrics
    with pytest.raises(SystemExit) as info:
        main(["history", store.runs[0], "loss", "--json", "--csv", "--tracking-uri", store.uri])
    assert info.value.code == 2


# ----------------------------------------------------------------- console script
def test_console_script_runs_json(store: Store, tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "tracklib"
    assert script.is_file(), "the `tracklib` console script is not installed (pip install -e .)"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TRACKLIB_"))}
    env["TRACKLIB_TRACKING_URI"] = store.uri
    result = subprocess.run(
        [str(script), "runs", "--json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert [r["run_id"] for r in got] == [r.info.run_id for r in store.client.search_runs()]
