"""OpenRaster files and layer compositing (genart_core.ora, genart_core.layers)."""

from __future__ import annotations

import errno
import zipfile
from xml.etree import ElementTree as ET

import numpy as np
import pytest

from genart_core.api import GenArtError, GenerationInfo
from genart_core.atomic import SaveError
from genart_core.layers import Layer, composite, rgba
from genart_core.ora import OraDocument, OraError, read_ora, write_ora


def _document() -> OraDocument:
    rng = np.random.default_rng(1)
    base = rgba(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8))
    paint = np.zeros((24, 32, 4), np.uint8)
    paint[5:15, 5:20] = (255, 0, 0, 255)
    result = rgba(np.full((24, 32, 3), 40, np.uint8))
    info = GenerationInfo(prompt="a red fox", steps=12, seed=7, model="tiny")
    return OraDocument(
        32,
        24,
        [
            Layer("Image", base, kind="image"),
            Layer("Paint", paint, visible=False),
            Layer("Stylised", result, opacity=0.25, kind="result", info=info),
        ],
        info=info,
    )


def test_composite_follows_opacity_and_visibility():
    bottom = Layer("bottom", rgba(np.full((2, 2, 3), 200, np.uint8)))
    top = Layer("top", np.tile(np.array([0, 0, 0, 255], np.uint8), (2, 2, 1)), opacity=0.5)
    hidden = Layer("hidden", np.tile(np.array([255, 0, 0, 255], np.uint8), (2, 2, 1)), visible=False)
    out = composite([bottom, top, hidden], 2, 2)
    assert np.array_equal(out, np.full((2, 2, 3), 100, np.uint8))


def test_composite_places_offset_layers_and_clips_them():
    small = Layer("dot", np.tile(np.array([0, 0, 255, 255], np.uint8), (3, 3, 1)), x=2, y=-1)
    out = composite([small], 4, 4)
    assert (out[0:2, 2:4] == (0, 0, 255)).all()
    assert (out[2:, :] == 255).all() and (out[:, :2] == 255).all()


def test_write_then_read_keeps_layers_properties_and_parameters(tmp_path):
    document = _document()
    path = write_ora(tmp_path / "picture.ora", document)
    again = read_ora(path)
    assert (again.width, again.height) == (32, 24)
    assert [layer.name for layer in again.layers] == ["Image", "Paint", "Stylised"]
    assert [layer.visible for layer in again.layers] == [True, False, True]
    assert [layer.kind for layer in again.layers] == ["image", "paint", "result"]
    assert again.layers[2].opacity == pytest.approx(0.25)
    for before, after in zip(document.layers, again.layers):
        assert np.array_equal(before.pixels, after.pixels)
    assert again.layers[2].info.prompt == "a red fox" and again.layers[2].info.seed == 7
    assert again.info.model == "tiny"
    assert np.array_equal(again.flatten(), document.flatten())


def test_the_zip_follows_the_openraster_layout(tmp_path):
    path = write_ora(tmp_path / "picture.ora", _document())
    with zipfile.ZipFile(path) as archive:
        first = archive.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert archive.read("mimetype") == b"image/openraster"
        names = set(archive.namelist())
        assert {"stack.xml", "mergedimage.png", "Thumbnails/thumbnail.png"} <= names
        stack = ET.fromstring(archive.read("stack.xml"))
        sources = [layer.get("src") for layer in stack.iter("layer")]
        assert all(source in names and source.startswith("data/") for source in sources)
        assert stack.find("stack")[0].get("name") == "Stylised"  # top layer first


def test_not_an_ora_file_gives_a_clear_error(tmp_path):
    bogus = tmp_path / "bogus.ora"
    bogus.write_bytes(b"not a zip at all")
    with pytest.raises(OraError, match="bogus.ora"):
        read_ora(bogus)
    with pytest.raises(OraError, match="does not exist"):
        read_ora(tmp_path / "gone.ora")
    wrong_type = tmp_path / "wrong.ora"
    with zipfile.ZipFile(wrong_type, "w") as archive:
        archive.writestr("mimetype", "image/png")
    with pytest.raises(OraError, match="mimetype"):
        read_ora(wrong_type)


def test_a_full_disk_fails_cleanly_and_keeps_the_old_file(tmp_path, monkeypatch):
    path = write_ora(tmp_path / "keep.ora", _document())
    before = path.read_bytes()

    def disk_full(*_args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("genart_core.atomic.os.replace", disk_full)
    with pytest.raises(SaveError, match="disk is full") as caught:
        write_ora(path, _document())
    assert isinstance(caught.value, GenArtError)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == ["keep.ora"]  # no temporary file left behind
