"""Where things live: the user's data, cache and model folders, and the bundled resources.

Each folder can be moved with an environment variable (tests point them at tmp folders):
GENART_DATA_DIR, GENART_CACHE_DIR, GENART_MODELS_DIR.
"""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

import platformdirs

APP_NAME = "GenArtStudio"


def _folder(env_var: str, default: Path) -> Path:
    override = os.environ.get(env_var)
    path = Path(override).expanduser() if override else default
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """Styles the user added, history, autosaves."""
    return _folder("GENART_DATA_DIR", Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)))


def cache_dir() -> Path:
    """Things that can be rebuilt: thumbnails, measured device capabilities."""
    return _folder("GENART_CACHE_DIR", Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)))


def models_dir() -> Path:
    """Models the user trained or added from files (hub downloads go to the Hugging Face cache)."""
    return _folder("GENART_MODELS_DIR", data_dir() / "models")


RESOURCES_PACKAGE = "genart_resources"  # resources/ as installed (see setup.py)


def resources_dir() -> Path:
    """Bundled icons, styles and weights: the repository's resources/ when running from a
    checkout, else the installed package genart_resources, found by importlib.resources wherever
    pip put it (a virtual environment, --user, --target)."""
    source_checkout = Path(__file__).resolve().parent.parent / "resources"
    if source_checkout.is_dir():
        return source_checkout
    try:
        installed = Path(str(importlib.resources.files(RESOURCES_PACKAGE)))
    except ModuleNotFoundError:
        installed = None
    if installed is not None and installed.is_dir():
        return installed
    raise FileNotFoundError(
        f"GenArt Studio's resources are missing (looked in {source_checkout} and for the package "
        f"{RESOURCES_PACKAGE}); reinstall the application."
    )
