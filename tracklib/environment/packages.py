"""Installed distributions, read fast from package metadata (no ``pip freeze`` subprocess).

Each ``sys.path`` directory is listed once and only the ``Name``/``Version`` headers of the
metadata files are read (importlib parses each whole file with the email parser); zips and eggs
go through :mod:`importlib.metadata`. PEP 610 ``direct_url.json`` records turn into PEP 508
direct references, with credentials stripped from their URLs.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

_METADATA_FILES = {".dist-info": ("METADATA", "PKG-INFO"), ".egg-info": ("PKG-INFO",)}
_NAME_RUNS = re.compile(r"[-_.]+")
_CREDENTIAL_PARAM = re.compile(r"token|secret|passw|signature|credential|auth|key|sig$", re.I)


def strip_credentials(url: str) -> str:
    """Returns ``url`` without user-info and credential-like query parameters.

    ``https://user:tok@host/x?sig=abc&ref=main`` becomes ``https://host/x?ref=main``. Strings
    without a scheme, such as scp-style ``git@host:org/repo.git``, are returned unchanged (as in
    MLflow): the user there is an ssh login, never a password.

    Args:
        url: Any URL-like string.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.scheme or not parts.netloc:
        return url
    query = parts.query
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(_CREDENTIAL_PARAM.search(key) for key, _ in pairs):
        query = urlencode([(k, v) for k, v in pairs if not _CREDENTIAL_PARAM.search(k)])
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def installed_packages(path: list[str] | None = None) -> list[dict[str, Any]]:
    """Returns the installed distributions as ``importlib.metadata`` finds them, but faster.

    Each is a dict of ``name``, ``version``, ``requirement`` (its requirements.txt line) and
    ``comment`` (what a local or editable install is, e.g. ``editable install of x==1.0``, else
    None); the list is sorted by PEP 503 name and the first distribution of a name on the path
    wins. Each path directory is listed once and only the ``Name``/``Version`` headers of
    metadata files are read, where importlib parses each whole file with the email parser; zips
    and eggs go through importlib.

    Args:
        path: Directories to scan, in priority order; defaults to ``sys.path``.
    """
    found: dict[str, dict[str, Any]] = {}
    for entry in sys.path if path is None else path:
        for package in _scan_entry(entry):
            first = found.setdefault(normalize(package["name"]), package)
            # A build's leftover egg-info in the project folder ('' on sys.path) shadows the
            # installed record of the same version: keep where that install came from.
            plain = first["comment"] is None and " @ " not in first["requirement"]
            if first is not package and plain and first["version"] == package["version"]:
                first.update(requirement=package["requirement"], comment=package["comment"])
    return [found[key] for key in sorted(found)]


def _scan_entry(entry: str) -> list[dict[str, Any]]:
    root = entry or "."
    if root.lower().endswith(".egg") or os.path.isfile(root):
        return _scan_with_importlib(entry)
    try:
        children = list(os.scandir(root))
    except OSError:
        return []
    packages = []
    for child in children:
        suffix = next((s for s in _METADATA_FILES if child.name.lower().endswith(s)), None)
        if suffix is None:
            continue
        is_dir = child.is_dir()
        files = [os.path.join(child.path, name) for name in _METADATA_FILES[suffix]]
        header = _read_header(files if is_dir else [child.path])
        if header is not None:
            requirement, comment = _requirement(*header, child.path if is_dir else None)
            packages.append(_package(*header, requirement, comment))
    return packages


def _scan_with_importlib(entry: str) -> list[dict[str, Any]]:
    from importlib import metadata

    dists = metadata.distributions(path=[entry])
    pairs = [(dist.metadata["Name"], dist.version) for dist in dists]
    return [_package(n, v, f"{n}=={v}", None) for n, v in pairs if n and v]


def _package(name: str, version: str, requirement: str, comment: str | None) -> dict[str, Any]:
    return {"name": name, "version": version, "requirement": requirement, "comment": comment}


def _read_header(candidates: list[str]) -> tuple[str, str] | None:
    for path in candidates:
        try:
            with open(path, encoding="utf-8", errors="replace") as stream:
                fields: dict[str, str] = {}
                for line in stream:
                    if not line.strip():
                        break  # end of the RFC 822 headers; the long description follows
                    key, sep, value = line.partition(":")
                    if sep and key.lower() in ("name", "version"):
                        fields.setdefault(key.lower(), value.strip())
                    if len(fields) == 2:
                        return fields["name"], fields["version"]
        except OSError:
            continue
        return None  # like importlib.metadata, only the first metadata file that exists counts
    return None


def _requirement(name: str, version: str, info_dir: str | None) -> tuple[str, str | None]:
    pinned = f"{name}=={version}"
    if info_dir is None:
        return pinned, None
    try:
        with open(os.path.join(info_dir, "direct_url.json"), "rb") as stream:
            direct = json.load(stream)
        url = strip_credentials(direct["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return pinned, None  # no PEP 610 record: installed from an index
    # Never a bare pin for a direct install: the same name on the package index may be another
    # project (or another version of this one). Say what it is: a VCS commit, a URL, a path.
    vcs, archive = direct.get("vcs_info"), direct.get("archive_info")
    fragments = []
    if isinstance(vcs, dict):
        reference = f"{vcs.get('vcs', 'git')}+{url}@{vcs.get('commit_id', '')}"
    elif isinstance(archive, dict):
        reference = url
        fragments = [archive["hash"]] if isinstance(archive.get("hash"), str) else []
    else:
        dir_info = direct.get("dir_info")
        if isinstance(dir_info, dict) and dir_info.get("editable"):
            return f"-e {url}", f"editable install of {pinned}"
        reference = url
    if direct.get("subdirectory"):
        fragments.append(f"subdirectory={direct['subdirectory']}")
    requirement = f"{name} @ {reference}" + ("#" + "&".join(fragments) if fragments else "")
    return requirement, (f"local install of {pinned}" if url.startswith("file:") else None)


def local_path_of(requirement: str) -> str | None:
    """Returns the local folder or file a ``file:`` requirement installs from, else None.

    Args:
        requirement: A ``requirement`` of :func:`installed_packages`.
    """
    url = requirement[3:] if requirement.startswith("-e ") else requirement.partition(" @ ")[2]
    if not url.startswith("file:"):
        return None
    return unquote(urlsplit(url.partition("#")[0]).path)


def normalize(name: str) -> str:
    """Return the PEP 503 normalised form of a distribution name."""
    return _NAME_RUNS.sub("-", name).lower()  # PEP 503
