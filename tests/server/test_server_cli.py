"""The CLI's --server (and $GENART_SERVER / $GENART_TOKEN) against the live server."""

from __future__ import annotations

import numpy as np

from genart_core.artwork import read_generation_info
from genart_core.cli import main
from genart_core.imaging import load_image
from tests.core.vgg_helpers import scene, stripes, write


def test_generate_with_server_saves_the_servers_images_with_their_parameters(live_server, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("GENART_TOKEN", live_server.token)
    out = tmp_path / "digits.png"
    code = main(["generate", "digit 2", "--model", live_server.offline_model, "--steps", "2", "-n", "2", "--seed", "4",
                 "--size", "32x32", "--server", live_server.url, "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    info = read_generation_info(tmp_path / "digits-2.png")
    assert info.seed == 5 and info.request["model"] == live_server.offline_model
    # The server's models folder is not this test's, so the model exists only there.
    assert main(["generate", "digit 2", "--model", live_server.offline_model, "--steps", "2", "-o", str(tmp_path / "here.png")]) == 1


def test_stylize_with_server_from_the_environment_sends_the_local_files(live_server, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GENART_SERVER", live_server.url)
    monkeypatch.setenv("GENART_TOKEN", live_server.token)
    content = write(tmp_path / "photo.png", scene())
    style = write(tmp_path / "stripes.png", stripes())
    out = tmp_path / "out.png"
    code = main(["stylize", str(content), "--style", str(style), "--preset", "preview", "--size", "40",
                 "--weights", str(live_server.vgg), "-o", str(out)])
    assert code == 0
    assert load_image(out).shape[:2] == (30, 40) and not np.array_equal(load_image(out)[..., :3], scene()[:30, :40])


def test_a_wrong_token_in_the_environment_is_a_one_line_error(live_server, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("GENART_TOKEN", "not-the-token")
    assert main(["gan", "sample", "-n", "4", "--server", live_server.url, "-o", str(tmp_path / "grid.png")]) == 1
    assert "refused the token" in capsys.readouterr().err
