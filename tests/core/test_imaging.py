from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from genart_core.imaging import ImageLoadError, fit_within, load_image, to_rgb
from tests.images import gradient, write_huge_png_header, write_png, write_truncated_png


def test_rgb_png_round_trips(tmp_path):
    array = gradient()
    assert np.array_equal(load_image(write_png(tmp_path / "a.png", array)), array)


def test_exif_orientation_is_applied(tmp_path):
    array = gradient(40, 20)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    path = tmp_path / "rotated.jpg"
    Image.fromarray(array).save(path, exif=exif.tobytes(), quality=100)
    loaded = load_image(path)
    assert loaded.shape[:2] == (40, 20)  # width and height swapped by the rotation


@pytest.mark.parametrize(
    "mode, channels",
    [("P", 3), ("L", 3), ("1", 3), ("CMYK", 3), ("LA", 4), ("RGBA", 4), ("I;16", 3)],
)
def test_every_mode_becomes_rgb_or_rgba(tmp_path, mode, channels):
    base = Image.fromarray(gradient())
    if mode == "I;16":
        picture = Image.fromarray((np.asarray(base.convert("L")).astype(np.uint16) * 257))
        assert picture.mode.startswith("I;16")
    elif mode == "CMYK":
        picture = base.convert("CMYK")
    else:
        picture = base.convert(mode)
    path = tmp_path / ("x.tif" if mode == "CMYK" else "x.png")
    picture.save(path)
    loaded = load_image(path)
    assert loaded.dtype == np.uint8 and loaded.shape == (48, 64, channels)


def test_sixteen_bit_keeps_its_range(tmp_path):
    ramp = np.linspace(0, 65535, 64, dtype=np.uint16)[None].repeat(8, axis=0)
    Image.fromarray(ramp).save(tmp_path / "deep.png")
    loaded = load_image(tmp_path / "deep.png")
    assert loaded[0, 0, 0] == 0 and loaded[0, -1, 0] == 255


def test_palette_transparency_is_kept_as_alpha(tmp_path):
    picture = Image.new("P", (4, 4), 0)
    picture.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    picture.info["transparency"] = 0
    picture.save(tmp_path / "t.png", transparency=0)
    loaded = load_image(tmp_path / "t.png")
    assert loaded.shape == (4, 4, 4) and loaded[0, 0, 3] == 0


def test_enormous_image_is_refused_from_its_header(tmp_path):
    with pytest.raises(ImageLoadError, match="too large.*900 megapixels"):
        load_image(write_huge_png_header(tmp_path / "huge.png"))
    # Under Pillow's own limit but over ours: the message gives the dimensions.
    with pytest.raises(ImageLoadError, match="too large: 10000×9000"):
        load_image(write_huge_png_header(tmp_path / "big.png", 10000, 9000))


def test_truncated_png_gets_a_clear_message(tmp_path):
    with pytest.raises(ImageLoadError, match="damaged or incomplete"):
        load_image(write_truncated_png(tmp_path / "cut.png"))


def test_not_an_image(tmp_path):
    (tmp_path / "notes.png").write_text("hello")
    with pytest.raises(ImageLoadError, match="not an image"):
        load_image(tmp_path / "notes.png")


def test_folder_and_missing_file(tmp_path):
    with pytest.raises(ImageLoadError, match="is a folder"):
        load_image(tmp_path)
    with pytest.raises(ImageLoadError, match="does not exist"):
        load_image(tmp_path / "gone.png")


def test_encoded_bytes_load(tmp_path):
    data = write_png(tmp_path / "b.png").read_bytes()
    assert load_image(data).shape == (48, 64, 3)


def test_alpha_composites_over_white_and_fit_within_only_shrinks():
    rgba = np.zeros((2, 2, 4), np.uint8)
    assert to_rgb(rgba).tolist() == [[[255] * 3] * 2] * 2
    big = gradient(200, 100)
    assert fit_within(big, 50).shape == (25, 50, 3)
    assert fit_within(big, 500) is big
