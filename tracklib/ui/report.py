"""``tracklib report``: the compare view of 2 to 20 runs as one self-contained HTML file.

The file is the UI's own page (``static/index.html``) with its stylesheet and scripts inlined
and the API answers the compare page asks for embedded as JSON in
``<script id="tracklib-data" type="application/json">``. The frontend, seeing that element,
answers its requests from it, so the file opens from disk or as a CI artifact with no
network and no tracklib.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from tracklib.cli import runids
from tracklib.entities import Run
from tracklib.errors import InvalidInputError, NotFoundError, StoreError
from tracklib.tracking.client import Client
from tracklib.ui import api, views
from tracklib.ui.environment import Environments
from tracklib.ui.history import DEFAULT_POINTS, HistoryReader

STATIC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
_STYLE_TAG = '<link rel="stylesheet" href="/static/style.css">'
# The app's scripts, in the order index.html loads them: each tag is replaced by the file's text.
_SCRIPT_TAG = re.compile(r'<script src="/static/([A-Za-z0-9_.-]+\.js)"></script>')


def select_runs(
    client: Client, run_refs: Sequence[str], experiment: str | None, filter_string: str
) -> list[Run]:
    """The runs a report shows: given by id (or unique prefix), or by experiment and filter.

    Raises:
        InvalidInputError: Both or neither way given, a malformed filter, or not 2 to 20 runs.
        NotFoundError: A run or the experiment does not exist.
    """
    if run_refs and experiment:
        raise InvalidInputError("Give run ids or --experiment NAME [--filter F], not both.")
    if experiment:
        found = client.search_runs(
            experiment_names=[experiment],
            filter_string=filter_string,
            max_results=api.MAX_COMPARE + 1,
        )
        runs = list(found)
    elif filter_string:
        raise InvalidInputError("--filter needs --experiment NAME.")
    else:
        ids = list(dict.fromkeys(runids.resolve_all(client, run_refs)))
        runs = [client.get_run(run_id) for run_id in ids]
    if not api.MIN_COMPARE <= len(runs) <= api.MAX_COMPARE:
        many = f"{api.MAX_COMPARE}+" if len(runs) > api.MAX_COMPARE else str(len(runs))
        raise InvalidInputError(
            f"A report compares {api.MIN_COMPARE} to {api.MAX_COMPARE} runs; {many} selected. "
            "Name the runs, or narrow --filter."
        )
    return runs


def report_data(client: Client, runs: Sequence[Run]) -> dict[str, Any]:
    """The data block: the compare answer and every metric history, keyed by API path.

    Raises:
        StoreError: A metric file is malformed.
    """
    ids = ",".join(r.info.run_id for r in runs)
    responses: dict[str, Any] = {
        f"/api/compare?runs={ids}": api.compare_json(runs, Environments(client))
    }
    reader = HistoryReader(client)
    for run in runs:
        run_id = run.info.run_id
        for key in sorted(run.data.metrics):
            path = f"/api/runs/{run_id}/history?key={quote(key, safe='')}"
            path += f"&max_points={DEFAULT_POINTS}"
            responses[path] = reader.history_json(run_id, key, DEFAULT_POINTS)
    return {"mode": "report", "route": f"/compare?runs={ids}", "responses": responses}


def render(data: dict[str, Any], static_dir: str = STATIC_DIR) -> str:
    """The report's HTML: the app's page with its assets and ``data`` inlined.

    Raises:
        NotFoundError: The UI's static files are missing from the installation.
        StoreError: The UI's index.html is damaged (no </body>, no script).
    """
    page = _read(static_dir, "index.html")
    style = _read(static_dir, "style.css").replace("</style", "<\\/style")
    page = _replace_once(page, _STYLE_TAG, f"<style>\n{style}\n</style>")
    # views.dumps escapes every "<", so the data cannot close its <script> element.
    block = f'<script id="tracklib-data" type="application/json">{views.dumps(data).decode()}'
    block += "</script>\n"
    names = _SCRIPT_TAG.findall(page)
    if not names:
        raise StoreError("The UI's index.html loads no script; reinstall tracklib.")
    scripts = [f"<script>\n{_inert(_read(static_dir, name))}\n</script>" for name in names]
    scripts[0] = block + scripts[0]  # the data is in place before any script runs
    inlined = iter(scripts)
    return _SCRIPT_TAG.sub(lambda _: next(inlined), page)


def write_report(
    client: Client,
    output: str,
    run_refs: Sequence[str] = (),
    experiment: str | None = None,
    filter_string: str = "",
) -> list[Run]:
    """Select the runs, build the report and write it to ``output``; returns the runs.

    Raises:
        InvalidInputError: See :func:`select_runs`; or ``output`` cannot be written.
        NotFoundError: A run or experiment does not exist, or the UI's files are missing.
        StoreError: A metric file is malformed.
    """
    runs = select_runs(client, run_refs, experiment, filter_string)
    html = render(report_data(client, runs))
    try:
        with open(output, "w", encoding="utf-8") as f:
            f.write(html)
    except OSError as exc:
        raise InvalidInputError(f"Cannot write the report to {output!r}: {exc.strerror}.") from None
    return runs


def _inert(code: str) -> str:
    """Script text that cannot end its inline ``<script>`` element early: ``</script`` and
    ``<!--`` (which makes a later ``<script`` nest) get a backslash that JS ignores there."""
    return code.replace("</script", "<\\/script").replace("<!--", "<\\!--")


def _read(static_dir: str, name: str) -> str:
    try:
        with open(os.path.join(static_dir, name), encoding="utf-8") as f:
            return f.read()
    except OSError:
        raise NotFoundError(
            f"The UI file {name} is missing from {static_dir}; reinstall tracklib."
        ) from None


def _replace_once(page: str, tag: str, replacement: str) -> str:
    """Put ``replacement`` where ``tag`` is, or before ``</body>`` if the page lacks it."""
    if tag in page:
        return page.replace(tag, replacement, 1)
    if "</body>" not in page:
        raise StoreError("The UI's index.html has no </body>; reinstall tracklib.")
    return page.replace("</body>", f"{replacement}\n</body>", 1)
