"""Byte-level primitives of the file store: crash-safe writes, YAML, value and metric files.

Crash safety rests on two moves. A file that is rewritten (meta.yaml, a tag) is written to a
temporary file in the same folder's run or experiment directory and renamed over the old one,
so a reader sees the old or the new bytes, never half. A file that must be created once with
content (a param, the first line of a metric) is written to a temporary file and then
hard-linked into place: the link either fails (the file exists) or publishes complete
content, so neither a crash nor a concurrent writer can leave an empty or torn file.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import re
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from tracklib.entities import Metric
from tracklib.errors import StoreError

TMP_PREFIX = ".tracklib-tmp-"
_OPEN_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_YAML_CACHE_SIZE = 4096
_yaml_cache: dict[str, tuple[tuple[int, int, int], dict[str, Any]]] = {}
_tmp_counter = itertools.count()
_TMP_SALT = [uuid.uuid4().hex[:8]]
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: _TMP_SALT.__setitem__(0, uuid.uuid4().hex[:8]))
_OPEN_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
OPEN_APPEND = os.O_WRONLY | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)


def clear_yaml_cache() -> None:
    """Forget the cached meta.yaml reads (they are re-validated by ``stat`` anyway)."""
    _yaml_cache.clear()


# Strings that PyYAML would read back as something other than the same string.
_PLAIN_SAFE = re.compile(r"^[A-Za-z_/][A-Za-z0-9_\-./]*$")
# What PyYAML may write plain in block context (no indicator first, no ': ', no trailing ':'
# or space). It folds only at a space, so a string is safe if it is up to _SHORT characters
# long or has no space at all (a file URI of any length).
_PLAIN_SHAPE = re.compile(r"^(?:[A-Za-z0-9_./]|[-:](?=[^ ]))[A-Za-z0-9_\-./: ']*(?<![: ])$")
_SHORT = 60
_WIDTH = 80  # PyYAML's best_width: it folds text with spaces past this column
_STR_TAG = "tag:yaml.org,2002:str"
_resolver: Any = None  # PyYAML's implicit-type resolver and ScalarNode class, loaded lazily
_scalar_node: Any = None
_YAML_WORDS = frozenset(
    w
    for base in ("null", "true", "false", "yes", "no", "on", "off")
    for w in (base, base.capitalize(), base.upper())
)


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to ``fd`` (a short write is continued, not dropped)."""
    written = os.write(fd, data)
    while written < len(data):
        written += os.write(fd, data[written:])


def _write_temp(tmp_dir: str, data: bytes) -> str:
    # Unique across processes (pid, plus a per-process random part that a fork re-draws
    # below) and threads (the counter), without a random-number system call per file.
    path = os.path.join(tmp_dir, f"{TMP_PREFIX}{os.getpid()}-{_TMP_SALT[0]}-{next(_tmp_counter)}")
    fd = os.open(path, _OPEN_NEW, 0o666)
    try:
        write_all(fd, data)
    finally:
        os.close(fd)
    return path


def write_new(path: str, data: bytes) -> None:
    """Create ``path`` with ``data`` in place, for files of a run folder that no reader can
    see yet (its meta.yaml is written last).

    Raises:
        FileExistsError: ``path`` exists.
    """
    fd = os.open(path, _OPEN_NEW, 0o666)
    try:
        write_all(fd, data)
    finally:
        os.close(fd)


def replace_file(path: str, data: bytes, tmp_dir: str | None = None) -> None:
    """Atomically set the content of ``path`` (write a temporary file, then rename it)."""
    tmp = _write_temp(tmp_dir or os.path.dirname(path), data)
    try:
        os.replace(tmp, path)
    except BaseException:
        _unlink_quietly(tmp)
        raise


def create_file(path: str, data: bytes, tmp_dir: str) -> None:
    """Create ``path`` holding ``data``, all at once, unless it already exists.

    Raises:
        FileExistsError: ``path`` exists; it was left untouched.
    """
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = _write_temp(tmp_dir, data)
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError:
        # Some filesystems (FUSE, SMB) have no hard links: fall back to an exclusive create.
        fd = os.open(path, _OPEN_NEW, 0o666)
        try:
            write_all(fd, data)
        finally:
            os.close(fd)
    finally:
        _unlink_quietly(tmp)


def _unlink_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def read_bytes(path: str) -> bytes:
    """Return a file's bytes with plain system calls.

    Searches read thousands of tiny files; ``open()`` builds a buffered file object for each,
    which costs more than the read itself.

    Raises:
        OSError: As ``os.open`` (FileNotFoundError, IsADirectoryError, ...).
    """
    fd = os.open(path, _OPEN_READ)
    try:
        first = os.read(fd, 65536)
        if len(first) < 65536:  # the common case: a small file, read whole
            return first
        chunks = [first]
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def read_text(path: str) -> str:
    """Return a value file's whole content as text, exactly as MLflow reads it."""
    return decode_text(read_bytes(path))


def decode_text(data: bytes) -> str:
    """Decode a value file's bytes as UTF-8, keeping every byte: MLflow's reader (``codecs``,
    binary underneath) keeps ``\\r`` and ``\\r\\n``, so filters and ordering on such values
    must see them too."""
    return data.decode("utf-8")


def read_value_files(folder: str) -> dict[str, str]:
    """Read every value file under ``folder``; keys are relative paths joined with ``/``."""
    return {key: read_text(path) for key, path in iter_key_files(folder)}


def iter_key_files(folder: str) -> Iterator[tuple[str, str]]:
    """Yield ``(key, path)`` for every file below ``folder`` (``a/b`` for ``folder/a/b``)."""
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        if entry.name.startswith(TMP_PREFIX):
            continue
        if entry.is_dir():
            for sub_key, sub_path in iter_key_files(entry.path):
                yield f"{entry.name}/{sub_key}", sub_path
        else:
            yield entry.name, entry.path


def _yaml_scalar(value: Any) -> str | None:
    """The scalar as PyYAML's safe dumper writes it, or None to leave it to PyYAML."""
    if isinstance(value, str):
        return _str_scalar(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, dict)) and not value:
        return "[]" if isinstance(value, list) else "{}"
    return None


@functools.lru_cache(maxsize=512)  # a run's meta.yaml is written at start and again at end
def _str_scalar(value: str) -> str | None:
    if value == "":
        return "''"
    if (len(value) <= _SHORT or " " not in value) and value.isprintable():
        if plain_yaml_string(value):
            return value
        if value.strip() == value:
            return "'" + value.replace("'", "''") + "'"
    return None


def plain_yaml_string(text: str) -> bool:
    """Whether ``text`` is written plain (unquoted) by PyYAML and so read back as a string."""
    return (
        bool(_PLAIN_SHAPE.match(text))
        and ": " not in text
        and not text.startswith(("---", "..."))  # document markers
        and _resolves_to_str(text)
    )


def _resolves_to_str(text: str) -> bool:
    """Whether YAML reads ``text`` back as a string (not a bool, number, null or date)."""
    global _resolver, _scalar_node
    # PyYAML picks implicit resolvers by first character; after a letter, "/" or "_" only its
    # bool and null words apply, so the common case needs no PyYAML import (start-up cost).
    first = text[:1]
    if first.isascii() and (first.isalpha() or first in ("/", "_")):
        return text not in _YAML_WORDS
    # After a digit: int, float and timestamp. Without ".:+-" a float or timestamp cannot match,
    # nor an int with a letter in it, hex and binary (0x/0b) aside: a run id, for example. Of
    # digit strings, the decimal (0|[1-9][0-9_]*) and octal (0[0-7_]+) ints are not strings.
    plain_digits = first.isdigit() and text.isascii() and not any(c in ".:+-" for c in text)
    if plain_digits and text[:2] not in ("0x", "0b"):
        if not text.replace("_", "").isdigit():
            return True
        return first == "0" and len(text) > 1 and any(c in "89" for c in text)
    if _resolver is None:
        import yaml  # already loaded by the first meta.yaml read of the process

        _resolver, _scalar_node = yaml.resolver.Resolver(), yaml.ScalarNode
    return bool(_resolver.resolve(_scalar_node, text, (True, False)) == _STR_TAG)


def dump_yaml(data: Mapping[str, Any]) -> bytes:
    """Serialise a flat mapping as YAML with sorted keys, loadable by ``yaml.safe_load``.

    Common meta.yaml content is emitted directly (it is on the start/end path of every run
    and PyYAML costs more than the rest of ``start_run``); anything unusual goes to PyYAML
    with MLflow's options.
    """
    lines = []
    for key in sorted(data):
        scalar = _yaml_scalar(data[key])
        if scalar is not None and " " in scalar and len(key) + 2 + len(scalar) > _WIDTH:
            scalar = None  # PyYAML would fold the line at a space: let it write the file
        if scalar is None or not _plain_key(key):
            return _pyyaml_dump(data)
        lines.append(f"{key}: {scalar}\n")
    # An empty mapping must still load as {} (an empty file loads as None).
    return "".join(lines).encode("utf-8") if lines else _pyyaml_dump(data)


@functools.lru_cache(maxsize=128)
def _plain_key(key: str) -> bool:
    # A key such as 'true' or 'null' must be quoted; PyYAML does that.
    return bool(_PLAIN_SAFE.match(key)) and key not in _YAML_WORDS


def _pyyaml_dump(data: Mapping[str, Any]) -> bytes:
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump(
        dict(data), Dumper=dumper, default_flow_style=False, allow_unicode=True, sort_keys=True
    )
    return text.encode("utf-8")


def write_yaml(path: str, data: Mapping[str, Any]) -> None:
    """Atomically replace a YAML file, and remember its content for :func:`load_yaml`."""
    replace_file(path, dump_yaml(data))
    _remember(path, dict(data))


def _remember(path: str, data: dict[str, Any]) -> None:
    st = os.stat(path)
    if len(_yaml_cache) >= _YAML_CACHE_SIZE:
        _yaml_cache.clear()
    _yaml_cache[path] = ((st.st_ino, st.st_size, st.st_mtime_ns), data)


def load_yaml(path: str) -> dict[str, Any]:
    """Read a YAML mapping (C loader when available); returns a fresh dict each call.

    Parsed files are remembered by (inode, size, mtime): every rewrite replaces the file, so
    a changed file never matches, and start/end of a run need not parse the same YAML twice.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        StoreError: The file is not a YAML mapping.
    """
    st = os.stat(path)
    stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
    cached = _yaml_cache.get(path)
    if cached is not None and cached[0] == stamp:
        return dict(cached[1])
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, "rb") as f:
        try:
            data = yaml.load(f, Loader=loader)  # CSafeLoader or SafeLoader: safe
        except yaml.YAMLError as exc:
            raise StoreError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise StoreError(f"{path} does not hold a YAML mapping.")
    _remember(path, data)
    return dict(data)


def metric_line(timestamp: int, value: float, step: int) -> bytes:
    """Format one metric point as MLflow's file store does: ``"<ts> <value> <step>\\n"``."""
    return f"{timestamp} {value!r} {step}\n".encode()


def parse_metric_lines(key: str, data: bytes) -> list[Metric]:
    """Parse a metric file's bytes into points, in logged order.

    A last line with no newline is a write torn by a crash: it is skipped, not an error.
    Lines with 2 fields (no step), 3, or 5 (dataset name and digest) are MLflow's formats.

    Raises:
        StoreError: A complete line is malformed.
    """
    lines = data.split(b"\n")
    lines.pop()  # what follows the last newline: b"" or a torn line
    points = []
    for number, line in enumerate(lines, 1):
        fields = line.split()
        try:
            if len(fields) in (3, 5):
                points.append(Metric(key, float(fields[1]), int(fields[0]), int(fields[2])))
            elif len(fields) == 2:
                points.append(Metric(key, float(fields[1]), int(fields[0]), 0))
            else:
                raise ValueError(f"{len(fields)} fields")
        except ValueError as exc:
            raise StoreError(
                f"Metric {key!r}: line {number} ({line[:80]!r}) is malformed ({exc})."
            ) from None
    return points
