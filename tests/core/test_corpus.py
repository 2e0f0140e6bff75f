"""Every file of the hostile corpus (scripts/make_corpus.py) through the core loaders.

``ok_*`` files must open as 8-bit pictures, ``bad_*`` ones must be refused with a GenArtError —
never another exception, never a hang, and without a whole-picture blow-up in Python memory.
tracemalloc sees numpy and Python allocations (where the float and 32-bit copies of old code
lived), not Pillow's own pixel buffers; bench/robustness.py measures whole-process memory.
"""

from __future__ import annotations

import threading
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from genart_core.api import GenArtError, GenerationInfo
from genart_core.artwork import read_generation_info
from genart_core.imaging import load_image
from genart_core.ora import OraDocument, read_ora
from scripts.make_corpus import CORPUS, FILES, make_fifo

HANG_GUARD_SECONDS = 60  # generous: each file takes well under a second
PYTHON_MEMORY_BOUND = 256 * 1024 * 1024


def _open(path: Path):
    if path.suffix == ".ora":
        return read_ora(path)
    return load_image(path)


def _run_guarded(function, *args):
    """Run ``function`` in a thread; fail (rather than hang the suite) if it does not return in time."""
    outcome: dict[str, object] = {}

    def target() -> None:
        tracemalloc.start()
        try:
            outcome["value"] = function(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread below
            outcome["error"] = exc
        finally:
            outcome["peak"] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(HANG_GUARD_SECONDS)
    assert not worker.is_alive(), f"{args[0]} did not finish within {HANG_GUARD_SECONDS} s"
    assert outcome["peak"] < PYTHON_MEMORY_BOUND, f"{args[0]}: Python memory peaked at {outcome['peak'] >> 20} MB"
    return outcome


def test_the_corpus_on_disk_is_the_one_the_script_makes():
    assert sorted(path.name for path in CORPUS.iterdir()) == sorted(FILES)


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_corpus_file_opens_or_is_refused_with_a_message(name):
    path = CORPUS / name
    outcome = _run_guarded(_open, path)
    error = outcome.get("error")
    if name.startswith("ok_"):
        assert error is None, f"{name} was refused: {error!r}"
        value = outcome["value"]
        if isinstance(value, OraDocument):
            assert value.layers and all(layer.pixels.dtype == np.uint8 for layer in value.layers)
        else:
            assert isinstance(value, np.ndarray) and value.dtype == np.uint8 and value.shape[2] in (3, 4)
    else:
        assert isinstance(error, GenArtError), f"{name}: expected a message, got {error!r}"
        assert path.name in str(error) and "Traceback" not in str(error)


@pytest.mark.parametrize("name", [name for name in sorted(FILES) if name.startswith("ok_") and not name.endswith(".ora")])
def test_generation_info_of_every_opened_picture_is_read_or_refused(name):
    outcome = _run_guarded(read_generation_info, CORPUS / name)
    error = outcome.get("error")
    if error is not None and not isinstance(error, GenArtError):
        raise error
    assert error is not None or outcome["value"] is None or isinstance(outcome["value"], GenerationInfo)


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="named pipes are a POSIX thing")
def test_a_named_pipe_called_png_is_refused_without_blocking(tmp_path):
    fifo = make_fifo(tmp_path)
    for loader in (load_image, read_ora):
        error = _run_guarded(loader, fifo).get("error")
        assert isinstance(error, GenArtError) and "not a regular file" in str(error)
