"""What the app loads after its window is up, and in which order: the instant-style networks
first (onnxruntime, a fraction of a second), torch and friends for the job worker after them.

torch does not start loading as soon as the instant networks are ready: it waits for the first
instant result (or its failure), or TORCH_AFTER_MS without one. Its import takes seconds of CPU
and holds the interpreter lock for much of it, and a style clicked meanwhile waited for both.
Launched with a photo and a style clicked as soon as the photo was on the canvas
(bench/instant_gui.py, 2-core CPU, six launches each way, run alternately): the stylisation took
0.57–0.91 s on the instant worker while torch loaded beside it, the first result reached the
canvas 1.85–2.55 s after launch with the derived graphs cached; with torch waiting, 0.15–0.18 s
and 1.22–1.57 s. A job that needs torch before then loads it itself, on the job worker.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer

# How long torch waits for a first instant result. Long enough for a style clicked soon after a
# photo opens; short enough that torch is ready for Live mode's faster runtime (torch_runtime on a
# CPU with fast bf16) and for the first heavy job soon after launch.
TORCH_AFTER_MS = 5_000


class StartOrder(QObject):
    """Loads the instant networks at once, then torch once (see the module's docstring)."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self._window = window
        self._torch_started = False
        runner = window.instant_style.runner
        # Once: the instant worker warms up again when torch has loaded (_on_torch_loaded).
        runner.warmed.connect(self._on_instant_warmed, Qt.ConnectionType.SingleShotConnection)
        runner.result_ready.connect(self.load_torch)
        runner.failed.connect(self.load_torch)
        window.controller.engine_ready.connect(self._on_torch_loaded)

    def start(self) -> None:
        QTimer.singleShot(0, self._window.instant_style.runner.warm_up)

    def load_torch(self, *_args) -> None:
        if self._torch_started:
            return
        self._torch_started = True
        self._window.controller.warm_up()

    @property
    def torch_started(self) -> bool:
        return self._torch_started

    def _on_torch_loaded(self, _message: str) -> None:
        # The instant path moves to torch where torch runs the network faster
        # (pipelines.fast_style.resolve_backend), and only when the instant worker warms up again:
        # now, with the job worker's whole warm-up over (instant_worker._InstantWorker).
        self._window.instant_style.runner.warm_up()

    def _on_instant_warmed(self, message: str) -> None:
        if message:  # no instant networks on this install: nothing to wait for
            self.load_torch()
        else:
            QTimer.singleShot(TORCH_AFTER_MS, self.load_torch)
