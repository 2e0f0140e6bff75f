"""Run the app's readers over tests/corpus/readback (made by scripts/make_readback_corpus.py).

``run_readback_corpus()`` is shared by the tests and bench/robustness.py. Each corpus file is put
where the app would find it (a history folder, the data folder's sd_models.json, a model folder's
card.json, a QSettings key) in a temporary place, read with the real reader, and given a verdict:

- "accepted": read as it is;
- "fixed": read, with bad parts dropped or reset (a warning was logged);
- "refused": left out with a clear message (a GenArtError, or a logged skip);
- "crashed": any other exception; "hung": no answer within the time limit.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

CORPUS_DIR = Path(__file__).resolve().parent / "corpus" / "readback"
HANG_LIMIT_S = 30.0


@dataclass(frozen=True)
class ReadbackOutcome:
    kind: str  # history, registry, cards, settings
    file: str
    verdict: str  # accepted, fixed, refused, crashed, hung
    detail: str
    seconds: float

    @property
    def expected(self) -> str:
        """The verdict the file's name asks for: ok_ -> accepted, fix_ -> fixed, bad_ -> refused."""
        return {"ok": "accepted", "fix": "fixed", "bad": "refused"}[self.file.split("_", 1)[0]]


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    old = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in old.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _read_history(file: Path, scratch: Path) -> tuple[bool, str]:
    from genart_core.history import HistoryStore

    folder = scratch / "history"
    folder.mkdir()
    shutil.copy(file, folder / file.name)
    store = HistoryStore(folder)
    entries = store.entries()
    set_aside = store.take_set_aside()
    return bool(entries), "; ".join(set_aside)


def _read_registry(file: Path, scratch: Path) -> tuple[bool, str]:
    from genart_core import sd_models

    with _environment(GENART_DATA_DIR=str(scratch)):
        shutil.copy(file, scratch / sd_models.REGISTRY_FILE)
        dropped = sd_models.repair_registry()
        added = [spec for spec in sd_models.installed_models() if not spec.is_offline]
        # ok_empty holds no model and is fine: only a dropped part makes an empty list a refusal.
        return bool(added) or not dropped, "; ".join(dropped)


def _read_card(file: Path, scratch: Path) -> tuple[bool, str]:
    from genart_core.models.dcgan import DCGANConfig
    from genart_core.models.tiny_unet import TinyUNetConfig
    from genart_core.models.vae import VAEConfig
    from genart_core.weights import read_card

    folder = scratch / "model"
    folder.mkdir()
    shutil.copy(file, folder / "card.json")
    card = read_card(folder)
    configs = {"gan": DCGANConfig, "vae": VAEConfig, "tiny-diffusion": TinyUNetConfig}
    if card["kind"] in configs:
        configs[card["kind"]].from_dict(card.get("config", {}))
    return True, ""


def _read_setting(file: Path, scratch: Path) -> tuple[bool, str]:
    import json

    from desktop_app import recent_files, settings

    stored = json.loads(file.read_text(encoding="utf-8"))
    readers: dict[str, Callable[[], object]] = {"prompt/choices": settings.prompt_choices, "recent/files": recent_files.recent_files}
    store = settings.settings()
    previous = store.value(stored["key"])  # put back afterwards: bench runs may use the real settings
    store.setValue(stored["key"], stored["value"])
    try:
        value = readers[stored["key"]]()
    finally:
        if previous is None:
            store.remove(stored["key"])
        else:
            store.setValue(stored["key"], previous)
    return bool(value), ""


_READERS: dict[str, Callable[[Path, Path], tuple[bool, str]]] = {
    "history": _read_history, "registry": _read_registry, "cards": _read_card, "settings": _read_setting,
}


def _verdict(read: Callable[[Path, Path], tuple[bool, str]], file: Path) -> tuple[str, str]:
    from genart_core.api import GenArtError

    warnings = _Warnings()
    logging.getLogger().addHandler(warnings)
    disabled = logging.root.manager.disable  # the verdicts need the warnings, even in a quiet bench
    logging.disable(logging.NOTSET)
    try:
        with tempfile.TemporaryDirectory(prefix="genart-readback-") as scratch:
            accepted, skipped = read(file, Path(scratch))
    except GenArtError as exc:
        return "refused", str(exc)
    except Exception as exc:  # what the corpus is for: anything else is a bug
        return "crashed", f"{type(exc).__name__}: {exc}"
    finally:
        logging.getLogger().removeHandler(warnings)
        logging.disable(disabled)
    detail = skipped or "; ".join(warnings.messages)
    if not accepted:
        return ("refused", detail) if detail else ("crashed", "nothing read and no reason given")
    return ("fixed" if warnings.messages else "accepted"), detail


def read_one(kind: str, file: Path, limit_s: float = HANG_LIMIT_S) -> ReadbackOutcome:
    """One corpus file through its reader, on a worker thread so a hang is reported, not suffered."""
    result: list[tuple[str, str]] = []
    start = time.perf_counter()
    worker = threading.Thread(target=lambda: result.append(_verdict(_READERS[kind], file)), daemon=True)
    worker.start()
    worker.join(limit_s)
    seconds = time.perf_counter() - start
    verdict, detail = result[0] if result else ("hung", f"no answer within {limit_s:g} s")
    return ReadbackOutcome(kind, file.name, verdict, detail[:300], seconds)


def corpus_files(corpus: Path = CORPUS_DIR) -> list[tuple[str, Path]]:
    return [(kind, file) for kind in _READERS for file in sorted((corpus / kind).glob("*.json"))]


def run_readback_corpus(corpus: Path = CORPUS_DIR, limit_s: float = HANG_LIMIT_S) -> list[ReadbackOutcome]:
    """Every corpus file through its reader (see the module docstring for the verdicts)."""
    return [read_one(kind, file, limit_s) for kind, file in corpus_files(corpus)]
