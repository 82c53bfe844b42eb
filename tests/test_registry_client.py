"""The registry API on a file store: errors (MLflow's rules), search, paging, rename, delete,
concurrent registration from several processes, and a crash in the middle of one."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from mlflow import MlflowClient

import tracklib
from tracklib.errors import AlreadyExistsError, InvalidInputError, NotFoundError


@pytest.fixture
def client() -> tracklib.Client:
    return tracklib.Client("mlruns")


def _files(root: str) -> list[str]:
    return sorted(str(p) for p in Path(root).rglob("*"))


@pytest.mark.parametrize("name", ["", "  ", "a/b", "a:b", "50%", "..x", "."])
def test_invalid_model_names_write_nothing(client: tracklib.Client, name: str) -> None:
    with pytest.raises(InvalidInputError):
        client.create_registered_model(name)
    assert not (Path("mlruns") / "models").exists() or _files("mlruns/models") == []


@pytest.mark.parametrize(
    ("alias", "reason"),
    [("latest", "reserved"), ("LATEST", "reserved"), ("v3", "reserved"), ("V12", "reserved"),
     ("a b", "Invalid alias"), ("a.b", "Invalid alias"), ("", "empty"), ("x" * 256, "limit")],
)  # fmt: skip
def test_invalid_aliases(client: tracklib.Client, alias: str, reason: str) -> None:
    client.create_registered_model("m")
    client.create_model_version("m", "file:///x")
    before = _files("mlruns/models")
    with pytest.raises(InvalidInputError, match=reason):
        client.set_registered_model_alias("m", alias, 1)
    assert _files("mlruns/models") == before


def test_valid_alias_edge_cases(client: tracklib.Client) -> None:
    client.create_registered_model("m")
    client.create_model_version("m", "file:///x")
    for alias in ("v", "vx1", "latest_good", "a-b_c", "x" * 255):
        client.set_registered_model_alias("m", alias, "1")
    assert client.get_model_version_by_alias("m", "x" * 255).version == 1


def test_not_found_and_already_exists(client: tracklib.Client) -> None:
    with pytest.raises(NotFoundError, match="name=nope"):
        client.get_registered_model("nope")
    with pytest.raises(NotFoundError):
        client.create_model_version("nope", "file:///x")
    client.create_registered_model("m", tags={"k": "v"})
    with pytest.raises(AlreadyExistsError, match="already exists"):
        client.create_registered_model("m")
    with pytest.raises(NotFoundError, match="version=7"):
        client.get_model_version("m", 7)
    with pytest.raises(NotFoundError, match="alias champion"):
        client.get_model_version_by_alias("m", "champion")
    with pytest.raises(NotFoundError):
        client.set_registered_model_alias("m", "champion", 1)  # no version 1
    with pytest.raises(InvalidInputError, match="integer"):
        client.get_model_version("m", "one")
    with pytest.raises(InvalidInputError, match="100000"):
        client.set_registered_model_tag("m", "big", "x" * 100_001)
    assert client.get_registered_model("m").tags == {"k": "v"}


def test_deleted_version_is_gone_but_its_number_is_not_reused(client: tracklib.Client) -> None:
    client.create_registered_model("m")
    for source in ("file:///a", "file:///b"):
        client.create_model_version("m", source)
    client.set_registered_model_alias("m", "champion", 2)
    client.delete_model_version("m", 2)
    with pytest.raises(NotFoundError):
        client.get_model_version("m", 2)
    with pytest.raises(NotFoundError):
        client.delete_model_version("m", 2)
    assert client.get_registered_model("m").aliases == {}
    assert client.create_model_version("m", "file:///c").version == 3
    assert [v.version for v in client.get_latest_versions("m")] == [3]
    assert client.get_model_version_by_alias("m", "latest").version == 3


def test_search_grammar_order_and_paging(client: tracklib.Client) -> None:
    for name in ("lstm-a", "lstm-b", "gru", "LSTM-c"):
        client.create_registered_model(name, tags={"family": name[:3].lower()})
        client.create_model_version(name, f"file:///{name}", run_id=f"run{name}")
    names = [m.name for m in client.search_registered_models("name LIKE 'lstm%'")]
    assert names == ["lstm-a", "lstm-b"]
    names = [m.name for m in client.search_registered_models("name ILIKE 'lstm%'")]
    assert names == ["LSTM-c", "lstm-a", "lstm-b"]
    names = [m.name for m in client.search_registered_models("tags.family = 'gru'")]
    assert names == ["gru"]
    newest = client.search_registered_models(order_by=["creation_timestamp DESC"])
    assert [m.creation_timestamp for m in newest] == sorted(
        (m.creation_timestamp for m in newest), reverse=True
    )
    first = client.search_registered_models(max_results=3)
    assert len(first) == 3 and first.token
    rest = client.search_registered_models(max_results=3, page_token=first.token)
    assert [m.name for m in first + rest] == sorted(["lstm-a", "lstm-b", "gru", "LSTM-c"])
    assert rest.token is None
    found = client.search_model_versions("run_id = 'rungru'")
    assert [(v.name, v.version) for v in found] == [("gru", 1)]
    found = client.search_model_versions("name IN ('gru', 'lstm-a') AND version_number >= 1")
    assert sorted(v.name for v in found) == ["gru", "lstm-a"]
    for bad in ("name = lstm", "foo = 'x'", "name = 'a' OR name = 'b'", "version_number = 'x'"):
        with pytest.raises(InvalidInputError):
            client.search_model_versions(bad)
    with pytest.raises(InvalidInputError, match="page token"):
        client.search_registered_models(page_token="garbage!")
    with pytest.raises(InvalidInputError, match="at most 1000"):
        client.search_registered_models(max_results=1001)


def test_paging_tokens_interchange_with_mlflow(client: tracklib.Client) -> None:
    for name in "abcde":
        client.create_registered_model(name)
    theirs = MlflowClient(tracking_uri=Path("mlruns").resolve().as_uri(),
                          registry_uri=Path("mlruns").resolve().as_uri())  # fmt: skip
    page = theirs.search_registered_models(max_results=2)
    ours = client.search_registered_models(max_results=2, page_token=page.token)
    assert [m.name for m in ours] == ["c", "d"]


def test_rename_keeps_versions_tags_and_aliases(client: tracklib.Client) -> None:
    client.create_registered_model("old", tags={"k": "v"})
    client.create_model_version("old", "file:///a", tags={"t": "1"})
    client.set_registered_model_alias("old", "champion", 1)
    client.create_registered_model("taken")
    with pytest.raises(AlreadyExistsError):
        client.rename_registered_model("old", "taken")
    renamed = client.rename_registered_model("old", "new")
    assert (renamed.name, renamed.tags, renamed.aliases) == ("new", {"k": "v"}, {"champion": 1})
    with pytest.raises(NotFoundError):
        client.get_registered_model("old")
    uri = Path("mlruns").resolve().as_uri()
    version = MlflowClient(tracking_uri=uri, registry_uri=uri).get_model_version_by_alias(
        "new", "champion"
    )
    assert (version.name, version.tags) == ("new", {"t": "1"})


def test_delete_model_removes_folder(client: tracklib.Client) -> None:
    client.create_registered_model("m")
    client.create_model_version("m", "file:///a")
    client.delete_registered_model("m")
    assert not (Path("mlruns") / "models" / "m").exists()
    with pytest.raises(NotFoundError):
        client.delete_registered_model("m")
    client.create_registered_model("m")  # the name is free again
    assert client.create_model_version("m", "file:///a").version == 1


def test_memory_store_has_no_registry() -> None:
    with pytest.raises(InvalidInputError, match="file store or an MLflow server"):
        tracklib.Client("memory:x").create_registered_model("m")


_REGISTER = textwrap.dedent(
    """
    import sys, time
    import tracklib
    from tracklib.errors import AlreadyExistsError
    client = tracklib.Client(sys.argv[1])
    time.sleep(max(0.0, float(sys.argv[3]) - time.time()))  # start together
    try:
        client.create_registered_model("shared")  # all four try; one creates it
    except AlreadyExistsError:
        pass
    for i in range(int(sys.argv[2])):
        print(client.create_model_version("shared", "file:///src", tags={"i": str(i)}).version)
    """
)


def test_processes_registering_at_once_get_distinct_consecutive_versions(
    client: tracklib.Client, tmp_path: Path
) -> None:
    import time

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    start = str(time.time() + 3)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _REGISTER, str(tmp_path / "mlruns"), "10", start],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(4)
    ]
    numbers = [int(line) for p in procs for line in p.communicate(timeout=120)[0].split()]
    assert all(p.returncode == 0 for p in procs)
    assert sorted(numbers) == list(range(1, 41))
    uri = (tmp_path / "mlruns").as_uri()
    theirs = MlflowClient(tracking_uri=uri, registry_uri=uri).search_model_versions("name='shared'")
    assert sorted(int(v.version) for v in theirs) == list(range(1, 41))
    assert not [p for p in (tmp_path / "mlruns/models/shared").iterdir() if p.name.startswith(".")]


_CRASH = textwrap.dedent(
    """
    import os, sys
    import tracklib
    real_rename = os.rename
    def crash(src, dst):
        if os.path.basename(dst).startswith("version-"):
            os._exit(9)  # killed after building the version, before publishing it
        return real_rename(src, dst)
    os.rename = crash
    tracklib.Client(sys.argv[1]).create_model_version("m", "file:///src", tags={"k": "v"})
    """
)


def test_crash_mid_register_leaves_no_half_version(client: tracklib.Client, tmp_path: Path) -> None:
    client.create_registered_model("m")
    client.create_model_version("m", "file:///first")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    crashed = subprocess.run([sys.executable, "-c", _CRASH, str(tmp_path / "mlruns")], env=env,
                             check=False, timeout=60)  # fmt: skip
    assert crashed.returncode == 9
    leftovers = [p.name for p in (tmp_path / "mlruns/models/m").iterdir()]
    assert any(n.startswith(".tracklib-tmp-") for n in leftovers)  # the crash did happen mid-way
    assert not (tmp_path / "mlruns/models/m/version-2").exists()
    uri = (tmp_path / "mlruns").as_uri()
    theirs = MlflowClient(tracking_uri=uri, registry_uri=uri)
    assert [int(v.version) for v in theirs.search_model_versions("name='m'")] == [1]
    assert [v.version for v in client.search_model_versions("name='m'")] == [1]
    assert client.create_model_version("m", "file:///next").version == 2
    assert theirs.get_model_version("m", 2).source == "file:///next"


def test_models_uri_with_a_source_outside_any_run(client: tracklib.Client, tmp_path: Path) -> None:
    (tmp_path / "exported/sub").mkdir(parents=True)
    (tmp_path / "exported/sub/w.bin").write_bytes(b"\x00\x01")
    client.create_registered_model("m")
    client.create_model_version("m", (tmp_path / "exported").as_uri())
    client.create_model_version("m", "s3://bucket/model")
    copied = client.download_artifacts("models:/m/1", dst_path=tmp_path / "out")
    assert (Path(copied) / "sub/w.bin").read_bytes() == b"\x00\x01"
    with pytest.raises(InvalidInputError, match="s3://bucket/model"):
        client.download_artifacts("models:/m/latest")
    for bad in ("models:/m", "models:/", "models:/m/1/extra", "models:/a/b@c"):
        with pytest.raises(InvalidInputError):
            client.download_artifacts(bad)
    with pytest.raises(NotFoundError):
        client.download_artifacts("models:/m@nobody")


def test_register_from_a_models_uri_copies_source_and_run(client: tracklib.Client) -> None:
    tracklib.set_tracking_uri("mlruns")
    with tracklib.start_run() as run:
        tracklib.log_text("w", "model/w.txt")
    first = tracklib.register_model(f"runs:/{run.info.run_id}/model", "dev")
    copy = tracklib.register_model("models:/dev/1", "prod", tags={"from": "dev"})
    assert (copy.name, copy.version, copy.tags) == ("prod", 1, {"from": "dev"})
    assert (copy.source, copy.run_id) == (first.source, run.info.run_id)
    with pytest.raises(InvalidInputError, match="runs URI"):
        tracklib.register_model("runs:/", "x")
