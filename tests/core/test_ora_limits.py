"""OpenRaster reading limits: checked from stack.xml, the zip directory and PNG headers, stated in the message."""

from __future__ import annotations

import numpy as np
import pytest

from genart_core import ora
from genart_core.ora import OraError, read_ora
from scripts.make_corpus import CORPUS, ora_bytes, png_bytes, stack


@pytest.mark.parametrize(
    "name, message",
    [
        ("bad_x_inf.ora", "x=“inf” .* between -100000 and 100000"),
        ("bad_huge_offset.ora", "x=“1e12” .* between -100000 and 100000"),
        ("bad_y_nan.ora", "y=“nan”"),
        ("bad_nested_3000.ora", f"more than {ora.MAX_NESTING} deep"),
        ("bad_2000_layers.ora", f"more than {ora.MAX_LAYERS} layers"),
        ("bad_same_layer_12_times.ora", "12 layers need more than 256 megapixels"),
        ("bad_zip_bomb.ora", "unpacks to 600 MB; the limit is 512 MB"),
        ("bad_one_layer_8000sq_declared.ora", "cannot hold the 8000×8000 pixels"),
        ("bad_missing_layer.ora", "lacks “data/gone.png”"),
    ],
)
def test_each_limit_is_refused_with_a_message_that_states_it(name, message):
    with pytest.raises(OraError, match=message):
        read_ora(CORPUS / name)


def _document_with_layers(tmp_path, count: int):
    pixels = np.zeros((10, 10, 4), np.uint8)
    pixels[..., 3] = 255
    body = "".join(f'<layer name="l{i}" src="data/l{i}.png"/>' for i in range(count))
    path = tmp_path / f"layers{count}.ora"
    path.write_bytes(ora_bytes(stack(10, 10, body), {f"data/l{i}.png": png_bytes(pixels) for i in range(count)}))
    return path


def test_the_pixel_budget_counts_every_layer_at_least_at_document_size(tmp_path, monkeypatch):
    monkeypatch.setattr(ora, "MAX_LAYER_PIXELS", 3 * 10 * 10)
    assert len(read_ora(_document_with_layers(tmp_path, 3)).layers) == 3
    with pytest.raises(OraError, match="4 layers need more than 0 megapixels"):
        read_ora(_document_with_layers(tmp_path, 4))


def test_groups_nested_to_the_limit_still_open(tmp_path):
    depth = ora.MAX_NESTING - 1
    body = "<stack>" * depth + '<layer name="deep" src="data/a.png"/>' + "</stack>" * depth
    path = tmp_path / "deep.ora"
    path.write_bytes(ora_bytes(stack(4, 4, body), {"data/a.png": png_bytes(np.zeros((4, 4, 3), np.uint8))}))
    assert [layer.name for layer in read_ora(path).layers] == ["deep"]
