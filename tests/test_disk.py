"""stores.file.disk: YAML that MLflow's reader loads back, metric lines, crash-safe writes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from tracklib.entities import Metric
from tracklib.errors import StoreError
from tracklib.stores.file import disk

TRICKY_STRINGS = [
    "0",
    "123",
    "-5",
    "0x1F",
    "0o17",
    "1_000",
    "1.5",
    "1e3",
    ".5",
    "true",
    "True",
    "TRUE",
    "false",
    "yes",
    "Yes",
    "no",
    "No",
    "NO",
    "on",
    "Off",
    "y",
    "n",
    "null",
    "Null",
    "NULL",
    "~",
    "",
    " ",
    " lead",
    "trail ",
    "2024-01-01",
    "2024-01-01 12:30:00",
    "12:30",
    "1:30:00",
    "#x",
    "a #b",
    "a: b",
    "a:b",
    "key:",
    "it's",
    "'quoted'",
    '"double"',
    "file:///a b",
    "file:///tmp/a%20b/mlruns/0",
    "ünïcödé",
    "日本語",
    "emoji 🎉",
    "-x",
    "- x",
    "-",
    "exp-a",
    "?",
    "? x",
    ":",
    "!tag",
    "&anchor",
    "*alias",
    "%percent",
    "@at",
    "`tick",
    "|",
    ">",
    "[a]",
    "{a: 1}",
    ",",
    "<<",
    "=",
    ".inf",
    "-.inf",
    ".nan",
    "NaN",
    "inf",
    "a\nb",
    "trailing newline\n",
    "\n",
    "tab\there",
    "cr\rlf",
    "x" * 5000,
    "word " * 100,
    "a" * 79 + " " + "b" * 79,
    "\x85next line",
    "\u2028sep",
    "\ufeffbom",
    "back\\slash",
]
OTHER_VALUES: list[Any] = [None, 0, 1, -1, 10**30, True, False, [], {}, 1.5, ["a", 1], {"k": "v"}]


def roundtrip(data: dict[str, Any]) -> Any:
    return yaml.safe_load(disk.dump_yaml(data).decode("utf-8"))


@pytest.mark.parametrize("value", TRICKY_STRINGS + OTHER_VALUES, ids=repr)
def test_dump_yaml_value_roundtrip(value: Any) -> None:
    data = {"value": value, "run_id": "abc", "status": 1}
    assert roundtrip(data) == data


@pytest.mark.parametrize("key", TRICKY_STRINGS[:40], ids=repr)
def test_dump_yaml_key_roundtrip(key: str) -> None:
    data = {key: "v", "other": key}
    assert roundtrip(data) == data


def test_dump_yaml_sorts_keys_and_loads_as_mapping() -> None:
    data = {"b": 1, "a": "x", "c": None}
    text = disk.dump_yaml(data).decode("utf-8")
    assert [line.split(":")[0] for line in text.splitlines()] == ["a", "b", "c"]
    assert yaml.safe_load(text) == data


def test_dump_yaml_run_meta_roundtrip(tmp_path: Path) -> None:
    meta: dict[str, Any] = {
        "artifact_uri": (tmp_path / "a b" / "mlruns" / "0").as_uri() + "/f00/artifacts",
        "end_time": None,
        "entry_point_name": "",
        "experiment_id": "0",
        "lifecycle_stage": "active",
        "run_id": "0123456789abcdef0123456789abcdef",
        "run_name": "calm-owl-42",
        "source_name": "",
        "source_type": 4,
        "source_version": "",
        "start_time": 1_700_000_000_000,
        "status": 1,
        "tags": [],
        "user_id": "root",
    }
    assert roundtrip(meta) == meta
    path = tmp_path / "meta.yaml"
    path.write_bytes(disk.dump_yaml(meta))
    assert disk.load_yaml(str(path)) == meta


def test_dump_yaml_property() -> None:
    hypothesis = pytest.importorskip("hypothesis")
    st = pytest.importorskip("hypothesis.strategies")

    values = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        st.text(),
        st.sampled_from(TRICKY_STRINGS),
        st.just([]),
        st.just({}),
    )
    keys = st.one_of(st.from_regex(r"\A[a-z_]{1,12}\Z"), st.text(min_size=1))

    @hypothesis.settings(
        max_examples=300,
        deadline=None,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),  # a loaded CI machine is slow
    )
    @hypothesis.given(st.dictionaries(keys, values, max_size=8))
    def check(data: dict[str, Any]) -> None:
        assert roundtrip(data) == data

    check()


# ---------------------------------------------------------------- load_yaml
def test_load_yaml_sees_replaced_file(tmp_path: Path) -> None:
    path = str(tmp_path / "meta.yaml")
    disk.replace_file(path, disk.dump_yaml({"status": 1}))
    assert disk.load_yaml(path) == {"status": 1}
    disk.replace_file(path, disk.dump_yaml({"status": 3, "end_time": 5}))
    assert disk.load_yaml(path) == {"status": 3, "end_time": 5}


def test_load_yaml_returns_a_fresh_dict(tmp_path: Path) -> None:
    path = str(tmp_path / "meta.yaml")
    disk.replace_file(path, disk.dump_yaml({"a": 1}))
    disk.load_yaml(path)["a"] = 2
    assert disk.load_yaml(path) == {"a": 1}


@pytest.mark.parametrize("content", [b"a: [unclosed\n", b"- a list\n", b"just text\n"])
def test_load_yaml_rejects_non_mappings(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "meta.yaml"
    path.write_bytes(content)
    with pytest.raises(StoreError):
        disk.load_yaml(str(path))


# ---------------------------------------------------------------- metric lines
def test_parse_metric_lines_field_counts() -> None:
    data = b"100 0.5 3\n200 1.5\n300 2.5 4 train digest123\n"
    assert disk.parse_metric_lines("m", data) == [
        Metric("m", 0.5, 100, 3),
        Metric("m", 1.5, 200, 0),
        Metric("m", 2.5, 300, 4),
    ]


def test_parse_metric_lines_special_values() -> None:
    points = disk.parse_metric_lines("m", b"1 nan 0\n2 inf 0\n3 -inf -1\n4 1e-20 0\n")
    values = [p.value for p in points]
    assert values[0] != values[0]  # NaN
    assert values[1:] == [float("inf"), float("-inf"), 1e-20]
    assert points[2].step == -1


def test_parse_metric_lines_skips_torn_last_line() -> None:
    assert disk.parse_metric_lines("m", b"1 0.5 0\n2 0.7") == [Metric("m", 0.5, 1, 0)]
    assert disk.parse_metric_lines("m", b"1 0.") == []
    assert disk.parse_metric_lines("m", b"") == []


@pytest.mark.parametrize(
    "data",
    [
        b"1 0.5 0\nxx\n2 0.7 1\n",
        b"1 0.5 0\n\n2 0.7 1\n",
        b"1 0.5 0 extra\n",
        b"1 0.5 0 a b c\n",
        b"1\n",
        b"1 abc 0\n",
        b"1.5 0.5 0\n",
        b"1 0.5 0.5\n",
    ],
)
def test_parse_metric_lines_malformed_line_raises(data: bytes) -> None:
    with pytest.raises(StoreError, match="'m'"):
        disk.parse_metric_lines("m", data)


@pytest.mark.parametrize(
    ("ts", "value", "step"), [(0, 0.1, 0), (1, -2.5e300, -7), (2**40, float("inf"), 2**40)]
)
def test_metric_line_roundtrip(ts: int, value: float, step: int) -> None:
    line = disk.metric_line(ts, value, step)
    assert line == f"{ts} {value!r} {step}\n".encode()
    assert disk.parse_metric_lines("k", line) == [Metric("k", value, ts, step)]


def test_metric_line_property() -> None:
    hypothesis = pytest.importorskip("hypothesis")
    st = pytest.importorskip("hypothesis.strategies")

    @hypothesis.settings(
        max_examples=300,
        deadline=None,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),  # a loaded CI machine is slow
    )
    @hypothesis.given(
        st.integers(0, 2**62), st.floats(allow_nan=False), st.integers(-(2**62), 2**62)
    )
    def check(ts: int, value: float, step: int) -> None:
        parsed = disk.parse_metric_lines("k", disk.metric_line(ts, value, step))
        assert parsed == [Metric("k", value, ts, step)]

    check()


# ---------------------------------------------------------------- file writes
def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(disk.TMP_PREFIX)]


def test_create_file_creates_parents_and_content(tmp_path: Path) -> None:
    path = tmp_path / "params" / "group" / "lr"
    disk.create_file(str(path), b"0.1", str(tmp_path))
    assert path.read_bytes() == b"0.1"
    assert leftovers(tmp_path) == []


def test_create_file_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "lr"
    disk.create_file(str(path), b"first", str(tmp_path))
    with pytest.raises(FileExistsError):
        disk.create_file(str(path), b"second", str(tmp_path))
    assert path.read_bytes() == b"first"
    assert leftovers(tmp_path) == []


def test_create_file_without_hard_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_link(src: str, dst: str) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_link)
    path = tmp_path / "p"
    disk.create_file(str(path), b"value", str(tmp_path))
    assert path.read_bytes() == b"value"
    with pytest.raises(FileExistsError):
        disk.create_file(str(path), b"other", str(tmp_path))
    assert path.read_bytes() == b"value"
    assert leftovers(tmp_path) == []


def test_replace_file_sets_content(tmp_path: Path) -> None:
    path = tmp_path / "meta.yaml"
    disk.replace_file(str(path), b"one")
    assert path.read_bytes() == b"one"
    disk.replace_file(str(path), b"two, longer")
    assert path.read_bytes() == b"two, longer"
    disk.replace_file(str(path), b"")
    assert path.read_bytes() == b""
    assert leftovers(tmp_path) == []


def test_replace_file_failure_keeps_old_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "meta.yaml"
    path.write_bytes(b"old")

    def failing_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        disk.replace_file(str(path), b"new content")
    assert path.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_replace_file_writes_temp_in_given_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    real_replace = os.replace

    def spy(src: str, dst: str) -> None:
        seen.append(os.path.dirname(src))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    (tmp_path / "tags").mkdir()
    disk.replace_file(str(tmp_path / "tags" / "t"), b"v", str(tmp_path))
    assert seen == [str(tmp_path)]
    assert (tmp_path / "tags" / "t").read_bytes() == b"v"


def test_read_value_files_rebuilds_slash_keys(tmp_path: Path) -> None:
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / "acc").write_text("1")
    (tmp_path / "lr").write_text("0.1")
    (tmp_path / (disk.TMP_PREFIX + "x")).write_text("ignored")
    assert disk.read_value_files(str(tmp_path)) == {"train/acc": "1", "lr": "0.1"}
    assert disk.read_value_files(str(tmp_path / "missing")) == {}


@pytest.mark.parametrize("size", [0, 10, 65535, 65536, 65537, 3 * (1 << 20) + 17])
def test_read_bytes_reads_whole_files(tmp_path: Path, size: int) -> None:
    from tracklib.stores.file.disk import read_bytes

    data = bytes(i % 251 for i in range(size))
    path = tmp_path / "f"
    path.write_bytes(data)
    assert read_bytes(str(path)) == data


def _pyyaml_bytes(data: dict[str, Any]) -> bytes:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump(
        data, Dumper=dumper, default_flow_style=False, allow_unicode=True, sort_keys=True
    )
    return text.encode("utf-8")


def test_meta_yaml_files_are_byte_identical_to_mlflows(tmp_path: Path) -> None:
    import tracklib

    tracklib.set_tracking_uri(str(tmp_path / "store"))
    with tracklib.start_run(experiment="my first exp", run_name="h40 d0.2"):
        pass
    client = tracklib.Client()
    client.delete_run(client.create_run("0").info.run_id)
    metas = list((tmp_path / "store").rglob("meta.yaml"))
    assert len(metas) == 4  # Default, "my first exp" and two runs
    for path in metas:
        assert path.read_bytes() == _pyyaml_bytes(yaml.safe_load(path.read_bytes())), path


def test_dump_yaml_matches_pyyaml_byte_for_byte_on_common_values() -> None:
    hypothesis = pytest.importorskip("hypothesis")
    st = pytest.importorskip("hypothesis.strategies")
    edge = ["...", "---", "...x", "--- a", "-", ":", "a:", ":a", "0.", ".5", "1e3", "1:20"]
    edge += ["0o7", "0b1", "+1", "1_0", "2001-12-14", "yes", "Null", "~", "it's", "-x"]
    text = st.one_of(
        st.text(st.sampled_from(list("abcXYZ019_-./: '")), max_size=70),
        st.text(st.sampled_from(list("abcXYZ019_-./:'")), min_size=60, max_size=300),
        st.sampled_from(edge),
    )
    values = st.one_of(
        st.none(), st.booleans(), st.integers(), text, st.builds(list), st.builds(dict)
    )
    long_keys = st.sampled_from(["effective_trace_archival_retention", "artifact_location"])
    keys = st.one_of(st.from_regex(r"\A[a-z_]{1,12}\Z"), long_keys)

    @hypothesis.settings(
        max_examples=1000,
        deadline=None,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(st.dictionaries(keys, values, min_size=1, max_size=6))
    def check(data: dict[str, Any]) -> None:
        assert disk.dump_yaml(data) == _pyyaml_bytes(data)

    check()


def test_run_meta_yaml_takes_the_fast_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A normal run's meta.yaml (long file URI, empty legacy fields) never needs PyYAML."""
    import tracklib

    def no_pyyaml(data: Any) -> bytes:
        raise AssertionError(f"fell back to PyYAML for {data!r}")

    deep = tmp_path / ("long-folder-name-" * 4) / "store"
    tracklib.set_tracking_uri(str(deep))
    tracklib.Client().get_experiment("0")  # the store's own first write may use PyYAML
    monkeypatch.setattr(disk, "_pyyaml_dump", no_pyyaml)
    with tracklib.start_run(run_name="fast-path") as run:
        pass
    meta = deep / "0" / run.info.run_id / "meta.yaml"
    assert len(run.info.artifact_uri) > 100
    assert meta.read_bytes() == _pyyaml_bytes(yaml.safe_load(meta.read_bytes()))
