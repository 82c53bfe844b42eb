"""``tracklib models``: list, show, register, alias; --json; exit codes without tracebacks."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import tracklib
from tracklib.cli import entry


def _run_with_model(mse: float) -> str:
    os.makedirs("weights", exist_ok=True)
    Path("weights/MLmodel").write_text("flavors: {}\n")
    with tracklib.start_run() as run:
        tracklib.log_artifacts("weights", "model")
        tracklib.log_metrics({"mse": mse, "mae": mse / 2})
    return run.info.run_id


def _main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = entry.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_register_alias_list_show(capsys: pytest.CaptureFixture[str]) -> None:
    first, second = _run_with_model(0.5), _run_with_model(0.25)
    code, out, _ = _main(capsys, "models", "register", first[:7], "model", "lstm")
    assert code == 0 and "as lstm version 1" in out
    code, out, _ = _main(capsys, "models", "register", second, "model", "lstm", "--json")
    assert code == 0 and json.loads(out)["version"] == 2 and json.loads(out)["run_id"] == second
    code, out, _ = _main(capsys, "models", "alias", "lstm", "champion", "2")
    assert (code, out.strip()) == (0, "lstm@champion -> version 2")
    code, out, _ = _main(capsys, "models")
    assert code == 0
    assert out.splitlines()[1].split()[:3] == ["lstm", "2", "champion=2"]
    code, out, _ = _main(capsys, "models", "--json")
    assert json.loads(out) == [
        {**json.loads(out)[0], "name": "lstm", "latest_version": 2, "aliases": {"champion": 2}}
    ]
    code, out, _ = _main(capsys, "models", "show", "lstm")
    lines = out.splitlines()
    assert code == 0 and "champion=2" in lines[0]
    assert lines[1].split()[:5] == ["VERSION", "ALIASES", "RUN", "mae", "mse"]
    assert lines[2].split()[:5] == ["2", "champion", second[:8], "0.125", "0.25"]
    assert lines[3].split()[:5] == ["1", "-", first[:8], "0.25", "0.5"]
    code, out, _ = _main(capsys, "models", "show", "lstm", "--json")
    shown = json.loads(out)
    assert [v["version"] for v in shown["versions"]] == [2, 1]
    assert shown["versions"][1]["run_metrics"] == {"mse": 0.5, "mae": 0.25}
    # MLflow's client sees what the CLI registered
    from mlflow import MlflowClient

    uri = Path("mlruns").resolve().as_uri()
    theirs = MlflowClient(tracking_uri=uri, registry_uri=uri)
    assert theirs.get_model_version_by_alias("lstm", "champion").run_id == second


def test_cli_errors_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    run_id = _run_with_model(0.5)
    code, _, err = _main(capsys, "models", "show", "nope")
    assert code == 1 and "nope not found" in err and "Traceback" not in err
    code, _, err = _main(capsys, "models", "register", run_id, "missing", "m")
    assert code == 1 and "no artifact 'missing'" in err
    code, _, err = _main(capsys, "models", "register", run_id, "model", "bad/name")
    assert code == 2 and "Invalid model name" in err
    _main(capsys, "models", "register", run_id, "model", "m")
    code, _, err = _main(capsys, "models", "alias", "m", "latest", "1")
    assert code == 2 and "reserved" in err
    code, _, err = _main(capsys, "models", "alias", "m", "prod", "9")
    assert code == 1 and "version=9" in err
    code, _, err = _main(capsys, "models", "--tracking-uri", "elsewhere")
    assert code == 1 and "No tracking store" in err  # and none is made by looking
    assert not os.path.exists("elsewhere")


def test_sync_carries_registered_models_once(capsys: pytest.CaptureFixture[str]) -> None:
    run_id = _run_with_model(0.5)
    tracklib.register_model(f"runs:/{run_id}/model", "a")
    tracklib.register_model(f"runs:/{run_id}/model", "a", tags={"t": "2"})
    tracklib.Client().set_registered_model_tag("a", "k", "v")
    tracklib.Client().set_registered_model_alias("a", "champion", 2)
    tracklib.Client().delete_model_version("a", 1)
    tracklib.register_model(f"runs:/{run_id}/model", "b")
    code, out, err = _main(capsys, "sync", "mlruns", "--to", "target", "--json")
    assert code == 0, err
    assert json.loads(out)["registry"] == {"models": 2, "versions": 2}
    target = tracklib.Client("target")
    (synced,) = target.search_runs()
    champion = target.get_model_version_by_alias("a", "champion")
    assert champion.run_id == synced.info.run_id != run_id
    assert champion.source == synced.info.artifact_uri + "/model"
    assert champion.tags == {
        "t": "2",
        "tracklib.sourceVersion": champion.tags["tracklib.sourceVersion"],
    }
    assert champion.tags["tracklib.sourceVersion"].startswith("2:")
    assert target.get_registered_model("a").tags == {"k": "v"}
    code, out, _ = _main(capsys, "sync", "mlruns", "--to", "target", "--json")
    assert json.loads(out)["registry"] == {"models": 2, "versions": 0}  # nothing twice
    assert [v.version for v in target.search_model_versions("name = 'a'")] == [1]
    code, out, _ = _main(capsys, "sync", "mlruns", "--to", "other", "--dry-run")
    assert "2 registered models, 2 new versions" in out
    assert tracklib.Client("other").search_registered_models() == []
