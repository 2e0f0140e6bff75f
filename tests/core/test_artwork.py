from __future__ import annotations

import errno
import os

import numpy as np
import pytest

from genart_core.api import GenerationInfo
from genart_core.artwork import format_parameters, parse_parameters, read_generation_info, read_parameters_text, save_artwork
from genart_core.atomic import SaveError
from tests.images import gradient

INFO = GenerationInfo(
    prompt="a lighthouse at dusk, oil painting",
    negative_prompt="blurry, text",
    steps=25,
    sampler="Euler a",
    cfg_scale=7.5,
    seed=1234,
    width=512,
    height=768,
    model="sd-turbo",
    extra={"Denoising strength": 0.6},
)


def test_parameters_text_has_the_automatic1111_layout():
    assert format_parameters(INFO) == (
        "a lighthouse at dusk, oil painting\n"
        "Negative prompt: blurry, text\n"
        "Steps: 25, Sampler: Euler a, CFG scale: 7.5, Seed: 1234, Size: 512x768, Model: sd-turbo, Denoising strength: 0.6"
    )


def test_parameters_written_by_another_tool_are_read():
    text = (
        "masterpiece, a cat wearing a hat\nwith two lines\n"
        "Negative prompt: lowres, bad anatomy\n"
        'Steps: 30, Sampler: DPM++ 2M Karras, CFG scale: 6, Seed: 987654321, Size: 640x512, '
        'Model hash: abc123, Model: dreamshaper_8, Lora hashes: "a: 1, b: 2", Version: v1.7.0'
    )
    info = parse_parameters(text)
    assert info.prompt == "masterpiece, a cat wearing a hat\nwith two lines"
    assert info.negative_prompt == "lowres, bad anatomy"
    assert (info.steps, info.sampler, info.cfg_scale, info.seed) == (30, "DPM++ 2M Karras", 6.0, 987654321)
    assert (info.width, info.height, info.model) == (640, 512, "dreamshaper_8")
    assert info.extra["Lora hashes"] == "a: 1, b: 2" and info.extra["Version"] == "v1.7.0"


def test_a_prompt_alone_is_a_prompt():
    assert parse_parameters("Portrait: a cat").prompt == "Portrait: a cat"


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp"])
def test_saved_artworks_carry_their_parameters(tmp_path, suffix):
    path = save_artwork(tmp_path / f"art{suffix}", gradient(), INFO)
    text = read_parameters_text(path)
    assert text == format_parameters(INFO)
    restored = read_generation_info(path)
    assert restored.prompt == INFO.prompt and restored.seed == INFO.seed and restored.cfg_scale == 7.5


def test_png_pixels_and_full_request_survive(tmp_path):
    info = GenerationInfo(prompt="x", seed=3, request={"type": "SelfTestRequest", "steps": 4})
    array = gradient()
    path = save_artwork(tmp_path / "a.png", array, info)
    from genart_core.imaging import load_image

    assert np.array_equal(load_image(path), array)
    assert read_generation_info(path).request == {"type": "SelfTestRequest", "steps": 4}


@pytest.mark.parametrize("suffix", [".jpg", ".webp"])
def test_jpeg_and_webp_keep_the_full_request_for_reproduce(tmp_path, suffix):
    styles = [{"name": "Mosaic, blue", "path": "/home/someone/styles/mosaic.jpg", "kind": "image", "weight": 0.5}]
    info = GenerationInfo(seed=3, request={"type": "FastStyleRequest", "styles": styles, "strength": 0.7})
    path = save_artwork(tmp_path / f"a{suffix}", gradient(), info)
    request = read_generation_info(path).request
    assert request["type"] == "FastStyleRequest" and request["strength"] == 0.7
    assert request["styles"][0]["name"] == "Mosaic, blue"
    assert request["styles"][0]["path"] == "mosaic.jpg"  # shared files carry file names, not folders


@pytest.mark.parametrize("suffix", [".jpg", ".webp"])
def test_a_prompt_too_long_for_exif_is_shortened_not_a_failed_save(tmp_path, suffix):
    info = GenerationInfo(prompt="p" * 40_000, seed=5, request={"type": "TextToImageRequest", "prompt": "p" * 40_000})
    path = save_artwork(tmp_path / f"big{suffix}", gradient(), info)
    restored = read_generation_info(path)
    assert restored.seed == 5 and 1000 < len(restored.prompt) < 40_000
    assert not restored.request  # the JSON did not fit beside the text: the text alone is read


def test_a_cameras_maker_note_is_not_read_as_ours(tmp_path):
    from PIL import Image

    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x927C] = b"Canon\0" + bytes(range(200))
    Image.fromarray(gradient()).save(tmp_path / "camera.jpg", exif=exif.tobytes())
    assert read_generation_info(tmp_path / "camera.jpg") is None


def test_a_failed_save_keeps_the_old_file_and_leaves_no_debris(tmp_path, monkeypatch):
    path = save_artwork(tmp_path / "keep.png", gradient(), INFO)
    before = path.read_bytes()

    def disk_full(_fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(SaveError, match="disk is full"):
        save_artwork(path, np.zeros((8, 8, 3), np.uint8), None)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == ["keep.png"]


def test_read_only_folder_gets_a_clear_message(tmp_path, monkeypatch):
    # Simulated: the tests may run as root, who can write into a chmod 500 folder.
    import tempfile

    def refuse(*_args, **_kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(SaveError, match="not writable"):
        save_artwork(tmp_path / "a.png", gradient())


def test_unknown_extension_is_refused(tmp_path):
    from genart_core.api import GenArtError

    with pytest.raises(GenArtError, match="png"):
        save_artwork(tmp_path / "a.gifx", gradient())
