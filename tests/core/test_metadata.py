"""Generation metadata read from files is validated into our types; saved metadata carries no local
paths; the A1111 parameters text is parsed in linear time and round-trips through our writer."""

from __future__ import annotations

import io
import json
import logging
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from genart_core.api import GenerationInfo
from genart_core.artwork import format_parameters, parse_parameters, read_generation_info, read_parameters_text, save_artwork
from genart_core.layers import Layer
from genart_core.metadata import file_name_of, info_from_json
from genart_core.ora import OraDocument, read_ora, write_ora
from genart_core.requests.style import StyleSource, StyleTransferRequest
from tests.images import gradient


def _png_with_chunk(path: Path, chunk: str, parameters: str | None = None) -> Path:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("genart", chunk)
    if parameters is not None:
        info.add_text("parameters", parameters)
    Image.fromarray(gradient(16, 12)).save(path, pnginfo=info)
    return path


HOSTILE_CHUNKS = {
    "extra is a string": json.dumps({"prompt": "a cat", "extra": "oops", "seed": 5}),
    "lists where objects belong": json.dumps({"prompt": ["a", "cat"], "extra": [1, 2], "request": [], "seed": 5}),
    "deeply nested extra": json.dumps({"seed": 5, "extra": {"deep": json.loads("[" * 500 + "]" * 500)}}),
    "nesting past the parser's recursion limit": '{"seed": 5, "extra": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "numbers out of range": json.dumps({"seed": 5, "steps": 99999999999, "width": -4, "cfg_scale": 1e300}),
    "not an object": json.dumps([1, 2, 3]),
    "not JSON": "{'seed': 5",
}


@pytest.mark.parametrize("chunk", HOSTILE_CHUNKS.values(), ids=HOSTILE_CHUNKS.keys())
def test_a_hostile_genart_chunk_is_read_into_our_types_and_saves_again(tmp_path, chunk, caplog):
    source = _png_with_chunk(tmp_path / "odd.png", chunk)
    with caplog.at_level(logging.WARNING):
        info = read_generation_info(source)
    assert info is None or isinstance(info, GenerationInfo)
    if info is not None:
        assert isinstance(info.prompt, str) and isinstance(info.extra, dict) and isinstance(info.request, dict)
        assert info.steps is None or 0 <= info.steps <= 100_000
        assert info.width is None or info.width > 0
    assert caplog.records, "a dropped field or chunk is logged"
    # What was read can always be written again, in every format, and as a layer of an .ora.
    for suffix in (".png", ".jpg", ".webp"):
        save_artwork(tmp_path / f"again{suffix}", gradient(16, 12), info)
    layer = Layer("Image", np.dstack([gradient(16, 12), np.full((12, 16), 255, np.uint8)]), info=info)
    write_ora(tmp_path / "again.ora", OraDocument(16, 12, [layer], info))
    assert read_ora(tmp_path / "again.ora").layers[0].pixels.shape == (12, 16, 4)


def test_good_fields_survive_beside_bad_ones():
    info = info_from_json(json.dumps({"prompt": 1234, "model": 7, "seed": "x", "steps": 20, "extra": {"a": [1, {"b": None}]}}))
    assert (info.prompt, info.model, info.seed, info.steps) == ("1234", "7", None, 20)
    assert info.extra == {"a": [1, {"b": None}]}


def test_steps_past_any_widget_and_numeric_names_in_parameters_text():
    info = parse_parameters("1234\nSteps: 99999999999, Sampler: 5, CFG scale: nan, Seed: 12, Size: 99999999x3, Model: 42")
    assert info.prompt == "1234" and info.steps is None and info.cfg_scale is None
    assert (info.seed, info.sampler, info.model, info.width) == (12, "5", "42", None)


def test_dict_values_are_quoted_so_a1111_readers_do_not_split_them():
    info = GenerationInfo(
        prompt="brush strokes",
        steps=30,
        seed=3,
        model="vgg19-oxford",
        extra={"Style weights": {"mosaic": 0.25, "ink wash, blue": 0.75}, "Note": "a: b, c", "Layers": [1, 2]},
    )
    text = format_parameters(info)
    settings = text.splitlines()[-1]
    # What an A1111-style reader does: split on commas outside double quotes.
    pieces = [piece for piece in _split_outside_quotes(settings)]
    keys = [piece.split(":", 1)[0].strip() for piece in pieces]
    assert keys == ["Steps", "Seed", "Model", "Style weights", "Note", "Layers"]
    back = parse_parameters(text)
    assert back.extra == info.extra and (back.steps, back.seed, back.model) == (30, 3, "vgg19-oxford")


def _split_outside_quotes(line: str) -> list[str]:
    pieces, current, quoted, escaped = [], "", False, False
    for character in line:
        if character == "," and not quoted:
            pieces.append(current)
            current = ""
            continue
        current += character
        if escaped:
            escaped = False
        elif character == "\\":
            escaped = True
        elif character == '"':
            quoted = not quoted
    return pieces + [current]


def test_settings_without_a_prompt_round_trip():
    info = GenerationInfo(seed=3, model="m")
    assert (parse_parameters(format_parameters(info)).seed, parse_parameters(format_parameters(info)).prompt) == (3, "")


@pytest.mark.parametrize("leading", ["\n", ""], ids=["as written", "trimmed by another tool"])
def test_gan_parameters_with_no_prompt_and_no_steps_are_settings_not_a_prompt(leading):
    info = parse_parameters(leading + "Seed: 77, Size: 28x28, Model: tiny-gan, kind: gan, index: 2")
    assert (info.prompt, info.seed, info.width, info.model) == ("", 77, 28, "tiny-gan")
    assert info.extra == {"kind": "gan", "index": "2"}


def test_a_one_line_prompt_that_only_looks_like_settings_stays_a_prompt():
    assert parse_parameters("Portrait: a fox, oil").prompt == "Portrait: a fox, oil"


def test_our_old_unquoted_json_values_are_still_read():
    info = parse_parameters('x\nSteps: 3, Style weights: {"mosaic": 0.5, "ink": 0.5}, Seed: 4')
    assert info.extra["Style weights"] == {"mosaic": 0.5, "ink": 0.5} and info.seed == 4


@pytest.mark.parametrize(
    "text",
    [
        "x" * 80_000,  # one long prompt line
        "a cat\nSteps: 20, " + "Word" * 20_000,  # a settings line with no colons
        "a cat\nSteps: 20, " + "k: [, " * 13_000,  # unclosed brackets everywhere
        "a cat\nSteps: 20, " + 'k: "' * 20_000,  # unclosed quotes everywhere
        "a cat\nSteps: 20, " + "Key word: value, " * 5_000,
    ],
    ids=["long prompt", "no colons", "unclosed brackets", "unclosed quotes", "many pairs"],
)
def test_an_80k_parameters_text_parses_quickly(text):
    started = time.perf_counter()
    info = parse_parameters(text)
    # A hang guard, not a speed figure: the quadratic parser took 52 s on such text.
    assert time.perf_counter() - started < 5
    assert isinstance(info, GenerationInfo)


def test_absolute_paths_become_file_names():
    assert file_name_of("/home/ana/Pictures/me.jpg") == "me.jpg"
    assert file_name_of(r"C:\Users\ana\style.png") == "style.png"
    assert file_name_of("~/x/y.png") == "y.png"
    assert file_name_of("file:///home/ana/a.png") == "a.png"
    assert file_name_of("mosaic") == "mosaic" and file_name_of("a cat/dog") == "a cat/dog"


def test_saved_metadata_holds_no_local_folder(tmp_path):
    """Photo and style paths under tmp_path: none of tmp_path's folder names may appear in any saved
    file's metadata, in any format; the names of the files themselves may."""
    photos, styles = tmp_path / "private-photos", tmp_path / "my-styles"
    request = StyleTransferRequest(
        content=str(photos / "holiday.jpg"),
        styles=(StyleSource("mosaic", str(styles / "mosaic.png"), 0.5), StyleSource("mine", str(styles / "mine.png"), 0.5)),
        weights=str(tmp_path / "vgg-folder" / "vgg.safetensors"),
    )
    info = GenerationInfo(prompt="style transfer: mosaic, mine", seed=1, model=str(tmp_path / "model-folder" / "m.safetensors"),
                          extra={"Style": str(styles / "mine.png")}, request=request.to_dict())
    folders = [part for part in tmp_path.parts[1:]] + ["private-photos", "my-styles", "vgg-folder", "model-folder"]
    texts = []
    for suffix in (".png", ".jpg", ".webp"):
        path = save_artwork(tmp_path / f"shared{suffix}", gradient(16, 12), info)
        texts.append(read_parameters_text(path))
        with Image.open(path) as image:
            texts.extend(str(value) for value in image.info.values() if isinstance(value, (str, bytes)))
    layer = Layer("Result", np.dstack([gradient(16, 12), np.full((12, 16), 255, np.uint8)]), info=info)
    ora = write_ora(tmp_path / "shared.ora", OraDocument(16, 12, [layer], info))
    with zipfile.ZipFile(ora) as archive:
        for member in archive.namelist():
            data = archive.read(member)
            if member.endswith(".png"):
                with Image.open(io.BytesIO(data)) as image:
                    texts.extend(str(value) for value in image.info.values() if isinstance(value, str))
            else:
                texts.append(data.decode("utf-8", "replace"))
    everything = "\n".join(texts)
    assert "holiday.jpg" in everything and "mine.png" in everything
    leaked = [folder for folder in folders if folder in everything]
    assert leaked == []
    restored = read_generation_info(tmp_path / "shared.png")
    assert restored.request["content"] == "holiday.jpg"
    assert [style["path"] for style in restored.request["styles"]] == ["mosaic.png", "mine.png"]
