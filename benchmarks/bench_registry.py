"""Model registry on a file store, tracklib against MLflow 3.17.2 (run by hand, not by tests).

For each library, in a fresh interpreter and a fresh temporary folder: create one registered
model, register ``--versions`` versions of it one by one (``create_model_version``: median and
total), then ``search_model_versions("name = 'm'")`` over all of them, ``get_registered_model``
(which reads the latest versions) and ``get_model_version_by_alias`` (medians of 20 calls).

    python benchmarks/bench_registry.py                 # 300 versions
    python benchmarks/bench_registry.py --versions 50   # a quick run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile

_CHILD = r"""
import json, os, statistics, sys, time
lib, n = sys.argv[1], int(sys.argv[2])
uri = "file://" + os.path.abspath("mlruns")
if lib == "tracklib":
    import tracklib
    client = tracklib.Client("mlruns")
else:
    from mlflow import MlflowClient
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
client.create_registered_model("m")
creates = []
for i in range(n):
    t = time.perf_counter()
    client.create_model_version("m", "file:///models/src", run_id="0" * 32)
    creates.append(time.perf_counter() - t)
client.set_registered_model_alias("m", "champion", n // 2)
def median(call):
    times = []
    for _ in range(20):
        t = time.perf_counter(); call(); times.append(time.perf_counter() - t)
    return statistics.median(times)
print(json.dumps({
    "create median ms": statistics.median(creates) * 1e3,
    "create total s": sum(creates),
    "search_model_versions ms": median(lambda: client.search_model_versions("name = 'm'")) * 1e3,
    "get_registered_model ms": median(lambda: client.get_registered_model("m")) * 1e3,
    "get_model_version_by_alias ms": median(
        lambda: client.get_model_version_by_alias("m", "champion")) * 1e3,
}))
"""


def measure(lib: str, versions: int) -> dict[str, float]:
    """Run the child script for one library in a fresh folder and interpreter."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TRACKLIB_"))}
    env.update(MLFLOW_ALLOW_FILE_STORE="true", MLFLOW_DISABLE_TELEMETRY="true")
    with tempfile.TemporaryDirectory() as folder:
        out = subprocess.run([sys.executable, "-c", _CHILD, lib, str(versions)], cwd=folder,
                             env=env, capture_output=True, text=True, check=True)  # fmt: skip
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    """Measure both libraries and print the figures side by side."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--versions", type=int, default=300)
    args = parser.parse_args()
    print(f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.2f}; {args.versions} versions of one model")  # fmt: skip
    ours, theirs = measure("tracklib", args.versions), measure("mlflow", args.versions)
    print(f"{'':32}{'tracklib':>12}{'MLflow 3.17.2':>16}{'ratio':>8}")
    for key in ours:
        ratio = theirs[key] / ours[key] if ours[key] else float("nan")
        print(f"{key:32}{ours[key]:>12.2f}{theirs[key]:>16.2f}{ratio:>7.1f}x")
    print("(median of 20 calls for reads; 'ratio' is MLflow's time over tracklib's)")


if __name__ == "__main__":
    main()
