"""Puts GenArt Studio in the user's applications menu (freedesktop .desktop entry + icon)."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

from genart_core import paths
from genart_core.atomic import write_bytes_atomic

ENTRY_NAME = "genart-studio.desktop"


def _xdg_data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def _launcher() -> str:
    """The absolute command that starts the app, so the menu entry works outside a venv's PATH."""
    script = shutil.which("genart-studio")
    if script:
        return shlex.quote(str(Path(script).resolve()))
    return f"{shlex.quote(sys.executable)} -m desktop_app"


def install_desktop_entry() -> Path:
    """Write the .desktop entry and icon under $XDG_DATA_HOME; returns the entry's path."""
    resources = paths.resources_dir()
    data_home = _xdg_data_home()
    icon_dir = data_home / "icons" / "hicolor" / "scalable" / "apps"
    icon_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(resources / "icons" / "genart-studio.svg", icon_dir / "genart-studio.svg")
    template = (resources / ENTRY_NAME).read_text(encoding="utf-8")
    entry = template.replace("Exec=genart-studio", f"Exec={_launcher()}")
    applications = data_home / "applications"
    applications.mkdir(parents=True, exist_ok=True)
    target = applications / ENTRY_NAME
    write_bytes_atomic(target, entry.encode("utf-8"))
    target.chmod(0o755)
    return target
