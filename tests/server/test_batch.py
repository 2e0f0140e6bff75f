"""`genart batch stylize` on the session's real Ray: a folder with a broken image, run twice."""

from __future__ import annotations

from genart_core.artwork import read_generation_info
from genart_core.cli import main
from tests.core.vgg_helpers import scene, stripes, write


def test_a_batch_skips_the_broken_image_and_a_second_run_does_nothing_new(live_server, tmp_path, capsys) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    write(photos / "a.png", scene())
    write(photos / "b.png", scene(64, 64))
    (photos / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    style = write(tmp_path / "stripes.png", stripes())
    out = tmp_path / "out"
    command = ["batch", "stylize", str(photos), "--style", str(style), "--preset", "preview", "--size", "32",
               "--weights", str(live_server.vgg), "--workers", "1", "-o", str(out)]

    assert main(command) == 1  # one input failed
    captured = capsys.readouterr()
    assert "2 stylised, 0 already done, 1 failed" in captured.out
    assert "skipped" in captured.err and "broken.png" in captured.err
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.png"]
    assert read_generation_info(out / "a.png").request["type"] == "StyleTransferRequest"
    made = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}

    assert main(command) == 1
    assert "0 stylised, 2 already done, 1 failed" in capsys.readouterr().out
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == made
