"""Instant style transfer end to end through the Engine: style space, requests, learned styles, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest

from genart_core.api import GenArtError
from genart_core.engine import Engine
from genart_core.fast_style import style_space
from genart_core.fast_style.learned_styles import NORM_CHANNELS, LearnedStyleError, list_learned, read_learned, save_learned, user_learned_dir
from genart_core.imaging import ImageLoadError
from genart_core.requests.fast_style import FastStyleRequest, StyleVectorSource
from genart_core.requests.style import ColorMode
from genart_core.styles import find_style
from tests.images import gradient, write_huge_png_header, write_png


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()  # keeps the networks loaded between tests


def _photo() -> np.ndarray:
    from skimage import data

    from genart_core.imaging import resize

    return resize(data.chelsea(), 96, 64)


def _mosaic(weight: float = 1.0) -> StyleVectorSource:
    return StyleVectorSource("Mosaic", str(find_style("mosaic").path), weight)


def _request(**changes) -> FastStyleRequest:
    values = dict(content=_photo(), styles=(_mosaic(),), size=None)
    values.update(changes)
    return FastStyleRequest(**values)


# -- style space --------------------------------------------------------------------------------
def test_mixing_normalises_the_weights():
    a, b = np.zeros(100, np.float32), np.ones(100, np.float32)
    np.testing.assert_allclose(style_space.mix([a, b], [1, 3]), np.full(100, 0.75), rtol=1e-6)
    with pytest.raises(GenArtError):
        style_space.mix([a], [0])


def test_strength_runs_from_the_content_vector_to_the_style_vector():
    content, style = np.zeros(100, np.float32), np.arange(100, dtype=np.float32)
    np.testing.assert_array_equal(style_space.with_strength(content, style, 0), content)
    np.testing.assert_array_equal(style_space.with_strength(content, style, 1), style)
    np.testing.assert_allclose(style_space.with_strength(content, style, 0.5), style / 2)


def test_variation_is_small_seeded_and_repeatable():
    vector = np.random.default_rng(1).standard_normal(100).astype(np.float32)
    same = style_space.with_variation(vector, 7, 0.5)
    np.testing.assert_array_equal(same, style_space.with_variation(vector, 7, 0.5))
    assert not np.array_equal(same, style_space.with_variation(vector, 8, 0.5))
    assert 0 < np.abs(same - vector).mean() < np.abs(vector).mean()
    assert style_space.with_variation(vector, 7, 0) is vector


# -- requests -------------------------------------------------------------------------------------
def test_the_request_round_trips_through_json():
    request = _request(content="photo.png", strength=0.4, seed=3, variation=0.2, preserve_colors=ColorMode.LUMINANCE,
                       styles=(_mosaic(0.3), StyleVectorSource("Ink wash", "ink.safetensors", 0.7, "learned")))
    again = FastStyleRequest.from_dict(json.loads(json.dumps(request.to_dict())))
    assert again == request and again.content == "photo.png"
    with pytest.raises(GenArtError):
        FastStyleRequest.from_dict({"content": "x.png"})


# -- the pipeline ---------------------------------------------------------------------------------
def test_the_same_request_gives_the_same_image(engine):
    first, second = engine.run(_request(seed=2, variation=0.3)), engine.run(_request(seed=2, variation=0.3))
    np.testing.assert_array_equal(first.images[0], second.images[0])
    assert first.infos[0].extra["Style vector"] == second.infos[0].extra["Style vector"]
    assert first.infos[0].request["styles"][0]["kind"] == "image"
    # "auto" is recorded as the runtime that ran, so Reproduce remakes it there.
    assert first.infos[0].request["backend"] == first.infos[0].extra["Backend"] == first.extras["backend"]
    assert first.infos[0].request["backend"] in ("onnxruntime", "torch")
    other_seed = engine.run(_request(seed=3, variation=0.3))
    assert not np.array_equal(first.images[0], other_seed.images[0])


def test_lower_strength_stays_closer_to_the_photo(engine):
    photo = _photo().astype(np.float32)
    distance = {s: np.abs(engine.run(_request(strength=s)).images[0] - photo).mean() for s in (0.0, 0.5, 1.0)}
    assert distance[0.0] < distance[0.5] < distance[1.0]


def test_preserving_colours_keeps_the_photos_colour(engine):
    photo = _photo()
    plain = engine.run(_request()).images[0]
    kept = engine.run(_request(preserve_colors=ColorMode.LUMINANCE)).images[0]

    def chroma_error(image):
        return np.abs((image.astype(np.float32) - image.mean(2, keepdims=True)) - (photo - photo.mean(2, keepdims=True))).mean()

    assert chroma_error(kept) < chroma_error(plain) / 2
    with pytest.raises(GenArtError, match="luminance"):
        engine.run(_request(preserve_colors=ColorMode.MATCH))


def test_a_learned_vector_is_used_instead_of_the_predicted_one(engine):
    predicted = engine.run(_request()).extras["style_vector"]
    path = save_learned(user_learned_dir() / "mosaic.safetensors", np.asarray(predicted, np.float32), {"style": "Mosaic"})
    learned = engine.run(_request(styles=(StyleVectorSource("Mosaic", str(path), 1.0, "learned"),)))
    np.testing.assert_array_equal(learned.images[0], engine.run(_request()).images[0])
    assert [style.name for style in list_learned() if not style.builtin] == ["Mosaic"]


def test_learned_norm_offsets_round_trip_and_apply_with_strength(engine):
    predicted = np.asarray(engine.run(_request()).extras["style_vector"], np.float32)
    offsets = {name: np.full(channels, 0.2, np.float32) for name, channels in NORM_CHANNELS.items()}
    path = save_learned(user_learned_dir() / "mosaic.safetensors", predicted, {"style": "Mosaic"}, offsets)
    assert set(read_learned(path).norm_offsets) == set(NORM_CHANNELS) and path.stat().st_size < 16384
    learned = StyleVectorSource("Mosaic", str(path), 1.0, "learned")
    shifted = engine.run(_request(styles=(learned,))).images[0]
    assert np.abs(shifted.astype(int) - engine.run(_request()).images[0]).mean() > 1  # the offsets are applied
    # Strength 0 is the content's own style on the shipped network: the offsets scale with it.
    np.testing.assert_array_equal(engine.run(_request(styles=(learned,), strength=0)).images[0],
                                  engine.run(_request(strength=0)).images[0])


@pytest.mark.parametrize("damage", ["missing layer", "wrong size", "huge value"])
def test_learned_files_with_impossible_norm_offsets_are_refused(damage):
    offsets = {name: np.zeros(channels, np.float32) for name, channels in NORM_CHANNELS.items()}
    name = next(iter(offsets))
    if damage == "missing layer":
        del offsets[name]
    elif damage == "wrong size":
        offsets[name] = np.zeros(7, np.float32)
    else:
        offsets[name][0] = 1e9
    path = save_learned(user_learned_dir() / "odd.safetensors", np.zeros(100, np.float32), {"style": "Odd"}, offsets)
    with pytest.raises(LearnedStyleError, match="odd.safetensors"):
        read_learned(path)
    assert all(style.path != path for style in list_learned())


def test_a_damaged_learned_style_is_reported_and_skipped_in_lists(tmp_path):
    broken = user_learned_dir() / "broken.safetensors"
    broken.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}garbage")
    with pytest.raises(LearnedStyleError, match="broken.safetensors"):
        read_learned(broken)
    assert all(style.path != broken for style in list_learned())


@pytest.mark.parametrize("kind", ["tiny", "greyscale", "transparent", "fully transparent", "one colour", "broken", "huge"])
def test_style_images_of_every_kind_get_a_result_or_a_clear_message(engine, tmp_path, kind):
    path = tmp_path / f"{kind}.png"
    if kind == "tiny":
        write_png(path, gradient(8, 8))
    elif kind == "greyscale":
        write_png(path, gradient(64, 64)[:, :, 0])
    elif kind == "transparent":
        rgba = np.dstack([gradient(64, 64), np.full((64, 64), 40, np.uint8)])
        write_png(path, rgba)
    elif kind == "fully transparent":
        write_png(path, np.dstack([gradient(64, 64), np.zeros((64, 64), np.uint8)]))
    elif kind == "one colour":
        write_png(path, np.full((64, 64, 3), (90, 120, 200), np.uint8))
    elif kind == "broken":
        path.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    else:
        write_huge_png_header(path)
    request = _request(styles=(StyleVectorSource(kind, str(path)),))
    if kind in ("greyscale", "transparent"):
        assert engine.run(request).images[0].shape == (64, 96, 3)
        return
    with pytest.raises((GenArtError, ImageLoadError)) as caught:
        engine.run(request)
    assert str(caught.value)
    if kind in ("fully transparent", "one colour"):
        assert "one flat colour" in str(caught.value)


def test_a_blank_canvas_takes_a_style_at_any_strength(engine):
    # The strength mixes in the content's own vector: a canvas of one colour is refused as a style
    # image, never as the content a person paints on.
    blank = np.full((64, 96, 3), 255, np.uint8)
    assert engine.run(_request(content=blank, strength=0.5)).images[0].shape == (64, 96, 3)


def test_a_content_too_large_or_too_thin_gets_a_clear_message(engine):
    with pytest.raises(GenArtError, match="up to 4096 pixels"):
        engine.run(_request(content=np.zeros((64, 5000, 3), np.uint8)))
    with pytest.raises(GenArtError, match="at least 16"):
        engine.run(_request(content=np.zeros((64, 5000, 3), np.uint8), size=1000))  # 13×1000
    assert engine.run(_request(content=np.zeros((64, 2000, 3), np.uint8), size=1000)).images[0].shape == (32, 1000, 3)


# -- pictures larger than the network side ---------------------------------------------------------
def test_painting_size_shrinks_to_the_network_side_but_never_below_the_thinnest_paintable():
    from genart_core.fast_style.pictures import painting_size

    assert painting_size(np.zeros((768, 1024, 3)), 512) == (512, 384)
    assert painting_size(np.zeros((300, 400, 3)), 512) == (400, 300)  # smaller pictures at their own size
    assert painting_size(np.zeros((768, 1024, 3)), None) == (1024, 768)
    assert painting_size(np.zeros((20, 2000, 3)), 512) == (2000, 20)  # 512×5 would be too thin to paint


def test_enlarging_with_detail_gives_back_the_photo_where_the_painting_changed_nothing():
    from PIL import Image

    from genart_core.fast_style.pictures import enlarge_with_detail
    from genart_core.imaging import resize, to_pil

    photo = resize(gradient(96, 64), 300, 200).copy()
    photo[80:120, 100:200] = (250, 20, 20)  # sharp edges a small picture cannot hold
    shrunk = np.asarray(to_pil(photo).resize((150, 100), Image.Resampling.BICUBIC))
    back = enlarge_with_detail(shrunk, photo)
    assert back.shape == photo.shape and back.dtype == np.uint8
    assert np.abs(back.astype(int) - photo).max() <= 1  # the edges come back, not blurred
    plain = resize(shrunk, 300, 200)
    assert np.abs(plain.astype(int) - photo).max() > 40  # enlarging alone blurs them
    # What the painting changed is kept: a brighter painting gives a brighter picture.
    brighter = enlarge_with_detail(np.clip(shrunk.astype(int) + 30, 0, 255).astype(np.uint8), photo)
    assert 20 < (brighter.astype(float) - back).mean() <= 30


def test_a_large_picture_is_painted_at_the_network_side_and_enlarged_to_its_own(engine):
    photo = gradient(320, 240)
    result = engine.run(_request(content=photo, network_side=160))
    assert result.images[0].shape == (240, 320, 3) and result.infos[0].extra["Painted at"] == "160x120"
    own = engine.run(_request(content=photo, network_side=None))
    assert own.infos[0].extra["Painted at"] == "320x240" and not np.array_equal(own.images[0], result.images[0])
    with pytest.raises(GenArtError, match="at least 16 pixels"):
        engine.run(_request(content=photo, network_side=8))


def test_results_saved_before_the_network_side_existed_reproduce_at_their_own_size():
    recorded = _request(content="photo.png").to_dict()
    assert FastStyleRequest.from_dict(recorded).network_side == 512
    del recorded["network_side"]
    assert FastStyleRequest.from_dict(recorded).network_side is None
    for odd in ("abc", True, -5, 2.5, 10**9, [512]):  # what a damaged or hostile file may hold
        with pytest.raises(GenArtError, match="cannot be read back"):
            FastStyleRequest.from_dict({**recorded, "network_side": odd})


def test_the_instant_path_imports_neither_torch_nor_onnx(tmp_path):
    """Launch → first instant result must not wait for torch (~4.6 s to import)."""
    script = (
        "import sys, numpy as np\n"
        "from genart_core.engine import Engine\n"
        "from genart_core.requests.fast_style import FastStyleRequest, StyleVectorSource\n"
        "from genart_core.styles import find_style\n"
        "s = find_style('mosaic')\n"
        "r = Engine().run(FastStyleRequest(content=np.zeros((32, 32, 3), np.uint8), styles=(StyleVectorSource(s.name, str(s.path)),)))\n"
        "Engine().run(FastStyleRequest(content=np.zeros((32, 32, 3), np.uint8), styles=(StyleVectorSource(s.name, str(s.path)),)))\n"
        "print(r.images[0].shape, 'torch' in sys.modules, 'onnx' in sys.modules)\n"
    )
    # The second Engine reads the float graphs the first one cached, which needs no onnx either;
    # the first derives them (onnx), so only torch is checked on a cold cache.
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True).stdout
    assert out.split()[-2] == "False"
    warm = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True).stdout
    assert warm.split()[-2:] == ["False", "False"]


def test_learn_and_refine_requests_are_plain_json():
    from genart_core.requests.fast_style import LearnStyleRequest, RefineRequest

    learn = LearnStyleRequest(style_name="Mosaic", style_path="mosaic.jpg", canvas=np.zeros((4, 6, 3), np.uint8))
    refine = RefineRequest(instant=_request(content="photo.png"), iterations=5)
    for request in (learn, refine):
        text = json.dumps(request.to_dict())
        assert json.loads(text)["type"] == type(request).__name__
    assert json.loads(json.dumps(refine.to_dict()))["instant"]["styles"][0]["name"] == "Mosaic"


def test_auto_runs_on_onnxruntime_until_torch_is_loaded_then_where_torch_is_faster(monkeypatch):
    import torch

    from genart_core import device
    from genart_core.pipelines.fast_style import resolve_backend

    monkeypatch.setattr(device, "choose_device", lambda prefer=None: torch.device("cpu"))
    monkeypatch.setattr(device, "fast_dtype", lambda where: torch.bfloat16)
    assert resolve_backend("auto") == "torch"
    monkeypatch.setattr(device, "fast_dtype", lambda where: torch.float32)  # a CPU with no bf16 gain
    assert resolve_backend("auto") == "onnxruntime"
    monkeypatch.setattr(device, "fast_dtype", lambda where: torch.bfloat16)
    monkeypatch.delitem(sys.modules, "torch")  # a process that has not loaded torch (the CLI, the app's first seconds)
    assert resolve_backend("auto") == "onnxruntime"
    assert resolve_backend("torch") == "torch"  # asked for by name, it is what runs


def test_a_module_another_thread_is_still_importing_is_not_imported_yet(monkeypatch, tmp_path):
    # The app imports torch on its job worker while the instant worker serves sliders: "auto" must
    # not pick torch (and wait for its import) until the import has ended. A real import, held open
    # until the test writes the file it waits for.
    import threading

    from genart_core.pipelines.fast_style import imported

    go_on = tmp_path / "go_on"
    (tmp_path / "slow_to_import.py").write_text(
        f"import pathlib, time\ndeadline = time.monotonic() + 30\n"
        f"while not pathlib.Path({str(go_on)!r}).exists() and time.monotonic() < deadline:\n    time.sleep(0.01)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "slow_to_import", raising=False)
    importer = threading.Thread(target=__import__, args=("slow_to_import",))
    importer.start()
    try:
        deadline = time.monotonic() + 30
        while "slow_to_import" not in sys.modules and time.monotonic() < deadline:
            time.sleep(0.01)
        assert "slow_to_import" in sys.modules  # the import has begun
        assert not imported("slow_to_import")
    finally:
        go_on.touch()
        importer.join(30)
    assert imported("slow_to_import")
    assert not imported("no_module_by_this_name")


def test_a_style_file_changed_on_disk_is_read_again(engine, tmp_path):
    # Style vectors are remembered per file version (Live mode); an edited file must not keep its old vector.
    from skimage import data

    path = tmp_path / "style.png"
    write_png(path, data.coffee()[:256, :256])
    source = StyleVectorSource("Mine", str(path), 1.0)
    first = engine.run(_request(styles=(source,)))
    assert engine.run(_request(styles=(source,))).infos[0].extra["Style vector"] == first.infos[0].extra["Style vector"]
    write_png(path, data.astronaut()[:300, :300])
    changed = engine.run(_request(styles=(source,)))
    assert changed.infos[0].extra["Style vector"] != first.infos[0].extra["Style vector"]
    path.unlink()
    with pytest.raises(ImageLoadError):  # a missing file is reported, never served from memory
        engine.run(_request(styles=(source,)))
