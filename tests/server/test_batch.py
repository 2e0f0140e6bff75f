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


def test_a_prompts_batch_reports_the_bad_lines_and_a_second_run_does_nothing_new(live_server, tmp_path, capsys) -> None:
    prompts = tmp_path / "prompts.txt"
    prompts.write_bytes(b"digit 3\n# a comment\n\n\xff\xfe not text\ncircle\na purple elephant\n")
    out = tmp_path / "out"
    command = ["batch", "generate", str(prompts), "-n", "2", "--seed", "5", "--model", live_server.offline_model,
               "--steps", "2", "--size", "32x32", "--workers", "1", "-o", str(out)]

    assert main(command) == 1
    captured = capsys.readouterr()
    assert "4 made, 0 already done, 3 failed" in captured.out
    assert "skipped line 4: it is not UTF-8 text." in captured.err
    assert "skipped line 6 (seed 5):" in captured.err and "does not know" in captured.err  # failed on a worker
    made = sorted(p.name for p in out.iterdir())
    assert len(made) == 4 and [name.startswith("digit-3-") for name in made].count(True) == 2
    info = read_generation_info(out / next(name for name in made if name.startswith("circle-") and name.endswith("-seed6.png")))
    assert info.seed == 6 and info.request["prompt"] == "circle"
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}

    assert main(command) == 1
    assert "0 made, 4 already done, 3 failed" in capsys.readouterr().out
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == stamps


def test_a_gan_batch_writes_one_sample_per_seed_and_resumes(live_server, tmp_path, capsys) -> None:
    out = tmp_path / "gan"
    out.mkdir()
    command = ["batch", "gan", "-n", "3", "--seed", "10", "--workers", "1", "-o", str(out)]
    (out / "seed-11.png").write_bytes(b"made by an earlier run")  # complete outputs are never remade

    assert main(command) == 0
    assert "2 sampled, 1 already done, 0 failed" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["seed-10.png", "seed-11.png", "seed-12.png"]
    assert (out / "seed-11.png").read_bytes() == b"made by an earlier run"
    info = read_generation_info(out / "seed-12.png")
    assert info.seed == 12 and info.request["type"] == "GanSampleRequest"
