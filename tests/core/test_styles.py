"""The style library: procedurally made built-in styles, adding and finding styles."""

from __future__ import annotations

import numpy as np
import pytest

from genart_core.api import GenArtError
from genart_core.imaging import load_image
from genart_core.styles import add_style, builtin_styles_dir, find_style, list_styles, remove_style
from tests.core.vgg_helpers import stripes, write

BUILTIN = {"Mosaic", "Ink wash", "Stained glass", "Brush strokes", "Pointillist", "Cubist"}


def test_builtin_styles_are_small_distinct_and_textured():
    styles = [s for s in list_styles() if s.builtin]
    assert {s.name for s in styles} == BUILTIN
    assert sum(s.path.stat().st_size for s in styles) < 600_000
    means = []
    for style in styles:
        image = load_image(style.path).astype(float)
        assert max(image.shape[:2]) <= 512
        # Strong texture: neighbouring pixels differ a lot on average.
        assert np.abs(np.diff(image, axis=1)).mean() > 5, style.name
        means.append(image.mean(axis=(0, 1)))
    distances = [np.abs(a - b).sum() for i, a in enumerate(means) for b in means[i + 1 :]]
    assert min(distances) > 10  # no two share the same palette


def test_added_style_persists_and_is_found_by_name(tmp_path):
    source = write(tmp_path / "My Painting.png", stripes())
    added = add_style(source)
    assert not added.builtin and added.path.parent != builtin_styles_dir()
    assert added in list_styles()  # a fresh listing: what the app sees after a restart
    assert find_style("my painting").path == added.path
    assert find_style("stained_glass").name == "Stained glass"
    assert find_style(str(source)).path == source
    remove_style(added)
    assert added not in list_styles()


def test_unknown_style_names_the_available_ones():
    with pytest.raises(GenArtError, match="Mosaic"):
        find_style("velvet elvis")
