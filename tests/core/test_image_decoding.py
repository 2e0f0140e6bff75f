"""What image loading does with deep, colour-managed, huge and odd files (genart_core.image_decoding)."""

from __future__ import annotations

import io
import tracemalloc

import numpy as np
import pytest
from PIL import Image

from genart_core.imaging import ImageLoadError, load_image
from scripts.make_corpus import CORPUS, adobe_rgb_icc_profile, grey16_png, png_header_only


def test_sixteen_bit_grey_follows_sbit_then_the_full_range():
    # An 8-bit picture stored in 16-bit samples and saying so (sBIT 8) shows as written.
    assert np.array_equal(load_image(CORPUS / "ok_grey16_values_0_255_sbit8.png")[0, :, 0], np.arange(256))
    # Without sBIT the samples mean 0–65535 (the PNG rule GIMP shows): values up to 255 are near black, never white.
    assert load_image(CORPUS / "ok_grey16_values_0_255_no_sbit.png").max() <= 1
    full = load_image(CORPUS / "ok_grey16_full_range.png")[0, :, 0]
    assert full[0] == 0 and full[-1] == 255 and (np.diff(full.astype(int)) >= 0).all()


def test_twelve_bit_sbit_scales_to_the_full_8_bit_range():
    values = np.array([[0, 2048, 4095]], np.uint16)
    assert list(load_image(grey16_png(values, 12))[0, :, 0]) == [0, 128, 255]


def test_sixteen_bit_decoding_holds_no_float_copy_of_the_picture():
    side = 3000
    data = grey16_png(np.tile(np.arange(side, dtype=np.uint16) * 21, (side, 1)), None)
    tracemalloc.start()
    try:
        result = load_image(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # The RGB result is 3 bytes a pixel; the 8-bit grey step adds 1 and the strips a few MB.
    # Converting through a whole-picture float64 copy (as before) alone takes 8 bytes a pixel.
    assert peak < 2 * result.nbytes


def _srgb_reference(adobe_rgb: np.ndarray) -> np.ndarray:
    """Adobe RGB (1998) -> sRGB with the published D65 matrices, independent of LittleCMS."""
    linear = (adobe_rgb / 255.0) ** (563 / 256)
    to_xyz = np.array([[0.5767309, 0.1855540, 0.1881852], [0.2973769, 0.6273491, 0.0752741], [0.0270343, 0.0706872, 0.9911085]])
    to_srgb = np.array([[3.2404542, -1.5371385, -0.4985314], [-0.9692660, 1.8760108, 0.0415560], [0.0556434, -0.2040259, 1.0572252]])
    srgb_linear = np.clip(linear @ to_xyz.T @ to_srgb.T, 0, 1)
    encoded = np.where(srgb_linear <= 0.0031308, srgb_linear * 12.92, 1.055 * srgb_linear ** (1 / 2.4) - 0.055)
    return encoded * 255


def test_a_wide_gamut_colour_profile_is_converted_to_srgb():
    colours = np.array([[[0, 160, 0], [200, 100, 50], [60, 60, 200]]], np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(colours).save(buffer, "PNG", icc_profile=adobe_rgb_icc_profile())
    loaded = load_image(buffer.getvalue()).astype(float)
    assert np.abs(loaded - _srgb_reference(colours.astype(float))).max() <= 3
    assert np.abs(loaded - colours).max() > 20  # unconverted would be this far off


def test_a_damaged_colour_profile_keeps_the_pixels():
    loaded = load_image(CORPUS / "ok_damaged_icc.jpg")
    assert loaded.shape == (12, 16, 3)


def test_a_jpeg_over_the_limit_is_decoded_at_a_reduced_scale():
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (10, 200, 30)).save(buffer, "JPEG")
    loaded = load_image(buffer.getvalue(), max_pixels=40_000)
    assert loaded.shape == (150, 200, 3)
    with pytest.raises(ImageLoadError, match="limit is 0 megapixels"):
        load_image(buffer.getvalue(), max_pixels=100)  # even 1/8 scale is too big


@pytest.mark.parametrize(
    "name, message",
    [
        ("bad_fits_without_data.fits", "No image data"),
        ("bad_text_chunk_bomb.png", "Decompressed"),
        ("bad_dds_unimplemented.dds", "Unimplemented"),
        ("bad_icns_decompression_bomb.icns", "too large"),
        ("bad_zero_bytes.png", "empty"),
        ("bad_header_30000x30000.png", "limit is 64 megapixels"),
    ],
)
def test_pillow_failures_become_messages_that_name_the_file(name, message):
    with pytest.raises(ImageLoadError, match=message) as caught:
        load_image(CORPUS / name)
    assert name in str(caught.value)


def test_a_png_too_small_for_its_declared_size_is_refused_before_decoding():
    with pytest.raises(ImageLoadError, match="cannot hold the 8000×8000 pixels"):
        load_image(png_header_only(8000, 8000))


def test_exif_orientation_and_odd_shapes_survive():
    assert load_image(CORPUS / "ok_exif_rotated.jpg").shape[:2] == (40, 20)
    assert load_image(CORPUS / "ok_tiny_1x1.png").shape == (1, 1, 3)
    assert load_image(CORPUS / "ok_palette_transparency.png").shape == (8, 8, 4)
