"""A small real store for the ``tracklib ui`` tests, built through tracklib's public API.

``build(root)`` returns a :class:`Store` naming what was logged, so the tests compare the
server's answers with these values (not with what the server itself computed).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import tracklib
from tracklib import Client
from tracklib.entities import Metric

HOSTILE = ("<script>alert(1)</script>", '"><img src=x onerror=alert(2)>', "</script><b>x</b>")
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f80f0000010101005c5e6a8c0000000049454e44ae426082"
)
SPIKE = 1000.0
EVIL_NAME = 'evil"\r\nX-Injected: 1;.bin'  # a file name that tries to add a header


@dataclass
class Store:
    """What the tests logged."""

    uri: str
    secret: Path  # a file outside every run, reachable only through planted symlinks
    sweep_id: str = ""
    other_id: str = ""
    parent: str = ""
    children: dict[str, float] = field(default_factory=dict)  # run id -> its lr
    losses: dict[str, list[tuple[int, int, float]]] = field(default_factory=dict)
    hostile: str = ""
    env_runs: list[str] = field(default_factory=list)
    long: str = ""  # a run with a long, spiky history
    long_points: int = 20000


def build(root: Path) -> Store:
    """Log the test store under ``root`` and return what was logged."""
    store = Store(uri=str(root / "mlruns"), secret=root / "secret.txt")
    store.secret.write_text("top secret\n")
    client = Client(store.uri)
    store.sweep_id = client.create_experiment("sweep", tags={"team": "ml"})
    store.other_id = client.create_experiment("other")
    _sweep(client, store)
    _hostile(client, store, root)
    _long(client, store)
    _env_runs(store)
    return store


def _sweep(client: Client, store: Store) -> None:
    parent = client.create_run(store.sweep_id, run_name="sweep", start_time=1_000)
    store.parent = parent.info.run_id
    client.log_param(store.parent, "grid", "lr")
    for i, lr in enumerate((0.1, 0.01, 0.001, 0.0001)):
        run = client.create_run(
            store.sweep_id,
            run_name=f"lr-{lr}",
            start_time=2_000 + i,
            tags={"mlflow.parentRunId": store.parent, "seed": "7"},
        )
        run_id = run.info.run_id
        points = [(step, 10_000 + step, (1 + i) / (step + 1)) for step in range(10)]
        client.log_batch(
            run_id,
            metrics=[Metric("loss", v, t, s) for s, t, v in points]
            + [Metric("accuracy", 0.5 + i / 10, 10_100, 9)],
            params=[tracklib.Param("lr", str(lr)), tracklib.Param("batch", "32")],
        )
        store.children[run_id] = lr
        store.losses[run_id] = points
        if i < 3:  # the last one stays RUNNING
            client.set_terminated(run_id, end_time=20_000 + i)
    client.set_terminated(store.parent, end_time=30_000)


def _hostile(client: Client, store: Store, root: Path) -> None:
    run = client.create_run(store.other_id, run_name=HOSTILE[0])
    run_id = store.hostile = run.info.run_id
    for i, value in enumerate(HOSTILE):
        client.set_tag(run_id, f"evil{i}", value)
    client.log_param(run_id, "evil", HOSTILE[1])
    client.set_tag(run_id, "mlflow.note.content", HOSTILE[2])
    client.log_batch(
        run_id,
        metrics=[
            Metric("odd", math.nan, 5, 0),
            Metric("odd", math.inf, 6, 1),
            Metric("odd", -math.inf, 7, 2),
        ],
    )
    client.log_text(run_id, "hello <b>world</b>\n", "notes/readme.txt")
    client.log_dict(run_id, {"a": 1}, "config.json")
    client.log_text(
        run_id, "<svg xmlns='http://www.w3.org/2000/svg'><script>1</script></svg>", "pic.svg"
    )
    png = root / "dot.png"
    png.write_bytes(PNG)
    client.log_artifact(run_id, png, "images")
    client.log_text(run_id, "x\n", "page.html")
    client.log_text(run_id, "x\n", EVIL_NAME)
    artifacts = client.download_artifacts(run_id, "")
    # Planted after logging, as an attacker with write access to the store would.
    os.symlink(store.secret, os.path.join(artifacts, "leak.txt"))
    os.symlink(store.secret.parent, os.path.join(artifacts, "updir"))
    client.set_terminated(run_id)


def _long(client: Client, store: Store) -> None:
    run = client.create_run(store.other_id, run_name="long")
    store.long = run.info.run_id
    n = store.long_points
    values = [math.sin(s / 50) for s in range(n)]
    values[n // 3] = SPIKE  # one spike the downsampling must keep
    values[2 * n // 3] = -SPIKE
    for start in range(0, n, 5000):
        client.log_batch(
            store.long,
            metrics=[Metric("wave", values[s], 50_000 + s, s) for s in range(start, start + 5000)],
        )
    client.set_terminated(store.long)


def _env_runs(store: Store) -> None:
    tracklib.set_tracking_uri(store.uri)
    try:
        for name in ("env-a", "env-b"):
            with tracklib.start_run(
                experiment_id=store.other_id, run_name=name, capture_env=True
            ) as run:
                tracklib.log_param("which", name)
            store.env_runs.append(run.info.run_id)
    finally:
        tracklib.set_tracking_uri(None)
