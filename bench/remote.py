"""What running a job on the GenArt server costs over running it in-process, on this machine.

Starts a local Ray (2 CPUs) with the server on it, then measures:
1. per-job overhead: the same tiny job (a 1-step self-test, so the work itself is ~nothing)
   through RemoteEngine and through the local Engine; the difference of the medians is the
   server's cost per job (goal <= 50 ms). Repeated with a 1024×1024 result to show the image transfer.
2. preview delay: from the moment the worker reports a preview (its Progress timestamp) to the
   moment the client's on_progress sees it decoded (goal <= 100 ms). Both clocks are this
   machine's time.time(), so they agree.
Run: python bench/remote.py [--jobs 30] [--work-size 128]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import time

from genart_core.engine import Engine
from genart_core.remote_engine import RemoteEngine
from genart_core.requests.selftest import SelfTestRequest
from genart_core.server import protocol


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _median_ms(engine, request, jobs: int) -> float:
    engine.run(request)  # warm: imports, first connection, replica start
    times = []
    for _ in range(jobs):
        started = time.perf_counter()
        engine.run(request)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def preview_delays(remote: RemoteEngine, jobs: int, work_size: int) -> list[tuple[float, float]]:
    """Delays (ms) to the server storing and to the client seeing every preview of ``jobs`` self-test runs with a preview each step."""
    delays: list[tuple[float, float]] = []
    seen_at: list[float] = []

    def record(progress) -> None:
        if progress.preview is not None:
            seen_at.append(time.time())

    original = protocol.decode_progress
    made: list[float] = []

    def decode_and_note(event, max_pixels):
        made.append((event["made_at"], event["stored_at"]))
        return original(event, max_pixels)

    # The made_at stamp rides on each event; note it as the client decodes the event.
    protocol.decode_progress = decode_and_note
    try:
        for _ in range(jobs):
            made.clear()
            seen_at.clear()
            remote.run(SelfTestRequest(width=256, height=256, steps=20, work_size=work_size, preview_every=1), record)
            delays += [((stored - made_at) * 1000, (seen - made_at) * 1000) for (made_at, stored), seen in zip(made, seen_at)]
    finally:
        protocol.decode_progress = original
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=30)
    parser.add_argument("--work-size", type=int, default=128, help="self-test work per step: larger spaces the previews further apart")
    args = parser.parse_args()
    import ray
    from ray import serve

    from genart_core.server.app import build_app

    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    try:
        port = _free_port()
        serve.start(http_options={"host": "127.0.0.1", "port": port})
        serve.run(build_app("bench-token"), name="genart", route_prefix="/")
        remote = RemoteEngine(f"http://127.0.0.1:{port}", "bench-token")
        local = Engine()
        print(f"GenArt server overhead, {args.jobs} jobs each, median; other processes on this machine: load average {os.getloadavg()[0]:.1f}")
        for side in (64, 1024):
            request = SelfTestRequest(width=side, height=side, steps=1, work_size=8, preview_every=2)  # 1 step: no preview
            here = _median_ms(local, request, args.jobs)
            there = _median_ms(remote, request, args.jobs)
            print(f"  {side}×{side} result: in-process {here:7.1f} ms, through the server {there:7.1f} ms, overhead {there - here:6.1f} ms/job")
        delays = preview_delays(remote, max(1, args.jobs // 10), args.work_size)
        for name, values in (("worker made it -> server stored it", [d[0] for d in delays]), ("worker made it -> client saw it", [d[1] for d in delays])):
            values.sort()
            print(f"  preview delay, {name}, {len(values)} previews of 256×256 (work size {args.work_size}): median {statistics.median(values):.1f} ms, "
                  f"90th percentile {values[int(0.9 * (len(values) - 1))]:.1f} ms, max {values[-1]:.1f} ms")
    finally:
        serve.shutdown()
        ray.shutdown()


if __name__ == "__main__":
    main()
