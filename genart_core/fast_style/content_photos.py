"""Content photos for Learn this style: a folder of the user's, or photos that ship inside
scikit-image and scikit-learn (no download), plus the current canvas.

The default training photos and the bench's evaluation photos are different pictures, so the
bench measures a learned style on photos it was not tuned on.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genart_core.api import GenArtError
from genart_core.imaging import ImageLoadError, load_image, to_rgb

TRAINING_PHOTOS = ("skimage:coffee", "skimage:rocket", "sklearn:china")
EVALUATION_PHOTOS = ("skimage:astronaut", "skimage:chelsea", "sklearn:flower")
MAX_FOLDER_PHOTOS = 8  # more photos slow every step and add little to one style vector
_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp"}


def shipped_photo(name: str) -> np.ndarray:
    """``skimage:coffee`` or ``sklearn:china``: a photo from a package's bundled data."""
    package, _, photo = name.partition(":")
    try:
        if package == "skimage":
            from skimage import data

            return to_rgb(getattr(data, photo)())
        if package == "sklearn":
            from sklearn.datasets import load_sample_image

            return to_rgb(load_sample_image(f"{photo}.jpg"))
    except ImportError:
        raise GenArtError(
            f"The sample photo {name} comes with {package.replace('skimage', 'scikit-image').replace('sklearn', 'scikit-learn')}, "
            "which is not installed: install it, or choose a folder of your own photos."
        ) from None
    except AttributeError:
        pass
    raise GenArtError(f"No sample photo called {name}.")


def folder_photos(folder: str | Path) -> list[np.ndarray]:
    folder = Path(folder)
    if not folder.is_dir():
        raise GenArtError(f"The content folder {folder} does not exist.")
    photos = []
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in _SUFFIXES)[:MAX_FOLDER_PHOTOS]:
        try:
            photos.append(to_rgb(load_image(path)))
        except ImageLoadError:
            continue  # one unreadable photo should not stop the learning
    if not photos:
        raise GenArtError(f"The content folder {folder} holds no readable photos (PNG, JPEG or WebP).")
    return photos


def training_photos(content_dir: str = "", canvas: np.ndarray | None = None) -> list[np.ndarray]:
    photos = folder_photos(content_dir) if content_dir else [shipped_photo(name) for name in TRAINING_PHOTOS]
    if canvas is not None:
        photos.append(to_rgb(canvas))
    return photos
