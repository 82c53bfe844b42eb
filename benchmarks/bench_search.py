"""search_runs and get_metric_history: tracklib vs MLflow 3.17's FileStore on the same store.

    python benchmarks/bench_search.py [--runs 1000] [--points 1000000] [--repeat 3]

Builds a store with tracklib in a temporary folder (N runs, 5 params, 5 metrics of 10
points, 3 tags each; and one run with a long metric), waits until its files are older than
the summary cache's settling time (a real store is older than that), then times the same
queries through ``tracklib.Client`` and ``mlflow.MlflowClient`` and prints the best of
``--repeat`` times:

* "files": tracklib reading the run files (``TRACKLIB_SEARCH_CACHE=0``), its parsed-YAML
  cache cleared before every call, as in a fresh process;
* "cached": tracklib with its search summary cache (docs/query.md), which a first search
  fills (timed once, on its own line); each call loads the cache file and ``stat``s every
  run, as a fresh process does;
* MLflow's FileStore.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
os.environ.setdefault("TRACKLIB_CAPTURE_ENV", "0")

import tracklib
from tracklib.entities import Metric
from tracklib.stores.file import disk, summaries

QUERIES: list[tuple[str, str, list[str] | None]] = [
    ("no filter, default order", "", None),
    ("metric filter", "metrics.loss < 0.2", None),
    ("param + tag filter", "params.optimizer = 'adam' AND tags.team LIKE 'vis%'", None),
    ("attribute filter", "attributes.status = 'FAILED'", None),
    ("filter + order_by metric", "metrics.acc > 0.5", ["metrics.loss ASC"]),
    ("order_by 2 keys, top 10", "", ["params.lr DESC", "metrics.`val/loss`"]),
]


def build_store(root: Path, runs: int, points: int) -> str:
    rng = random.Random(1)
    client = tracklib.Client(root)
    for i in range(runs):
        run = client.create_run(
            "0", tags={"team": rng.choice(["vision", "nlp", "speech"]), "seed": str(i)}
        )
        run_id = run.info.run_id
        client.log_batch(
            run_id,
            params=[
                tracklib.Param("lr", rng.choice(["0.1", "0.01", "0.001"])),
                tracklib.Param("optimizer", rng.choice(["adam", "sgd"])),
                tracklib.Param("layers", str(rng.randrange(1, 6))),
                tracklib.Param("dropout", str(rng.random())),
                tracklib.Param("batch_size", rng.choice(["32", "64", "128"])),
            ],
            metrics=[
                Metric(key, rng.random(), 1_700_000_000_000 + step, step)
                for key in ("loss", "acc", "val/loss", "val/acc", "lr_now")
                for step in range(10)
            ],
        )
        client.set_terminated(run_id, rng.choice(["FINISHED", "FINISHED", "FAILED"]))
    # The long history lives in its own experiment, so it does not weigh on the searches.
    long_run = client.create_run(client.create_experiment("long"), run_name="long").info.run_id
    batch = 1000
    for start in range(0, points, batch):
        client.log_batch(
            long_run,
            metrics=[
                Metric("curve", rng.random(), 1_700_000_000_000 + s, s)
                for s in range(start, min(start + batch, points))
            ],
        )
    client.set_terminated(long_run)
    return long_run


def best_of(repeat: int, fn: Callable[[], Any], before: Callable[[], None] | None = None) -> float:
    times = []
    for _ in range(repeat):
        if before:
            before()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import mlflow

    with tempfile.TemporaryDirectory() as tmp:
        os.environ[summaries.CACHE_DIR_VAR] = os.path.join(tmp, "cache")
        root = Path(tmp) / "mlruns"
        t0 = time.perf_counter()
        long_run = build_store(root, args.runs, args.points)
        print(
            f"built {args.runs} runs + 1 run of {args.points:,} points in "
            f"{time.perf_counter() - t0:.1f}s\n"
        )
        time.sleep(summaries.SETTLE_NS / 1e9)
        ours = tracklib.Client(root)
        theirs = mlflow.MlflowClient(tracking_uri=root.as_uri())

        def files_only() -> None:
            os.environ[summaries.SWITCH_VAR] = "0"
            disk._yaml_cache.clear()

        def with_cache() -> None:
            os.environ.pop(summaries.SWITCH_VAR, None)

        with_cache()
        t0 = time.perf_counter()
        ours.search_runs(["0"], "", "ACTIVE_ONLY", 1000, None)
        print(
            f"first search, filling the summary cache: {(time.perf_counter() - t0) * 1e3:.0f}ms\n"
        )
        print(
            f"{'search_runs (' + str(args.runs) + ' runs)':<34}{'files':>8}{'cached':>8}"
            f"{'mlflow':>8}{'vs files':>10}{'vs cached':>10}"
        )
        for label, filter_string, order_by in QUERIES:
            limit = 10 if label.endswith("top 10") else 1000

            def run_ours(f: str = filter_string, o: Any = order_by, n: int = limit) -> Any:
                return ours.search_runs(["0"], f, "ACTIVE_ONLY", n, o)

            def run_theirs(f: str = filter_string, o: Any = order_by, n: int = limit) -> Any:
                return theirs.search_runs(["0"], f, max_results=n, order_by=o)

            expected = [r.info.run_id for r in run_theirs()]
            for before in (files_only, with_cache):
                before()
                assert [r.info.run_id for r in run_ours()] == expected, label
            plain = best_of(args.repeat, run_ours, files_only)
            cached = best_of(args.repeat, run_ours, with_cache)
            ml = best_of(args.repeat, run_theirs)
            print(
                f"{label + f' ({len(expected)})':<34}{plain * 1e3:>6.0f}ms{cached * 1e3:>6.0f}ms"
                f"{ml * 1e3:>6.0f}ms{ml / plain:>9.1f}x{ml / cached:>9.1f}x"
            )
        with_cache()

        assert len(ours.get_metric_history(long_run, "curve")) == args.points
        mine_t = best_of(args.repeat, lambda: ours.get_metric_history(long_run, "curve"))
        ml_t = best_of(1, lambda: theirs.get_metric_history(long_run, "curve"))  # slow
        print(f"\n{'get_metric_history':<34}{'tracklib':>10}{'':>10}{'mlflow':>10}{'speed-up':>10}")
        print(
            f"{f'{args.points:,} points':<34}{mine_t * 1e3:>8.0f}ms{'':>10}"
            f"{ml_t * 1e3:>8.0f}ms{ml_t / mine_t:>9.1f}x"
        )


if __name__ == "__main__":
    main()
