"""Test-wide set-up: Qt runs offscreen, and every folder the app writes to is a temporary one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Before anything imports Qt: no display here, and never touch the real user's settings.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["HF_HUB_OFFLINE"] = "1"  # no test may download anything
_session_home = Path(tempfile.mkdtemp(prefix="genart-tests-"))
os.environ["XDG_CONFIG_HOME"] = str(_session_home / "config")  # QSettings lives here on Linux
os.environ["XDG_DATA_HOME"] = str(_session_home / "share")
# Stable Diffusion runs on torch unless a test asks for OpenVINO (tests/core/test_diffusion_openvino.py):
# otherwise this machine's measured choice would convert every tiny model the tests build.
os.environ.setdefault("GENART_CPU_BACKEND", "torch")


@pytest.fixture(autouse=True)
def isolated_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own data, cache and models folders."""
    for name in ("DATA", "CACHE", "MODELS"):
        folder = tmp_path / f"genart-{name.lower()}"
        monkeypatch.setenv(f"GENART_{name}_DIR", str(folder))
    monkeypatch.setenv("GENART_OPENVINO_DIR", str(tmp_path / "genart-openvino"))  # never the real Hugging Face cache
    return tmp_path
