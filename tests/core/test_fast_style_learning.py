"""Learn this style with a tiny seeded VGG: the vector improves, Stop & Keep keeps, Cancel cancels,
the result is a small file that the instant path then uses; and the CLI commands."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from genart_core.api import CancelToken, Cancelled, GenArtError, Progress
from genart_core.cli import main
from genart_core.device import choose_device, fast_dtype
from genart_core.engine import Engine
from genart_core.fast_style.learned_styles import list_learned, read_learned, user_learned_dir
from genart_core.requests.fast_style import LearnStyleRequest
from genart_core.styles import find_style
from tests.core.vgg_helpers import save_tiny_vgg, scene, stripes, write


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    write(folder / "scene.png", scene(64, 48))
    write(folder / "other.png", scene(48, 64)[::-1])
    (folder / "notes.txt").write_text("not a photo")
    return folder


def _request(tmp_path, photos, **changes) -> LearnStyleRequest:
    style = write(tmp_path / "stripes.png", stripes(96))
    values = dict(style_name="Stripes", style_path=str(style), steps=6, content_dir=str(photos), train_size=48,
                  weights=str(save_tiny_vgg(tmp_path)))
    values.update(changes)
    return LearnStyleRequest(**values)


def test_learning_lowers_the_loss_and_writes_a_small_file(tmp_path, photos, one_torch_thread):
    reports: list[Progress] = []
    result = Engine().run(_request(tmp_path, photos), reports.append)
    card = result.extras["card"]
    assert card["total_loss_after"] <= card["total_loss_before"]
    assert card["steps"] == 6 and card["data"] == "your photos"
    # The card says how this code learned, for card tables over files of different versions.
    assert card["content_target"] == "cut from the whole photo's features"
    assert card["crop_style_target"] == "the whole painting"  # the default crop is larger than these small photos
    assert card["network_dtype"] == str(fast_dtype(choose_device())).removeprefix("torch.")
    assert card["network_grid"] == "removed"
    path = user_learned_dir() / "stripes.safetensors"
    assert result.extras["path"] == str(path) and path.stat().st_size < 16384
    learned = read_learned(path)
    assert learned.vector.shape == (100,) and learned.card["style"] == "Stripes"
    # The normalisation biases learned too, and only they: the file holds their offsets.
    assert card["tuned"] == "style vector and normalisation biases"
    assert sum(np.abs(offset).sum() for offset in learned.norm_offsets.values()) > 0
    assert [style.name for style in list_learned() if not style.builtin] == ["Stripes"]
    assert [r.step for r in reports if r.phase == "Learning style"] == [1, 2, 3, 4, 5, 6]
    assert any(r.preview is not None for r in reports)


def test_random_windows_are_seeded_inside_the_photo_aligned_and_never_larger_than_it():
    import torch

    from genart_core.pipelines.learn_style import random_window

    picture = torch.zeros(1, 3, 30, 50)
    windows = [random_window(picture, 16, torch.Generator().manual_seed(seed), align=4) for seed in (1, 1, 2, 3)]
    assert windows[0] == windows[1] and any(window != windows[0] for window in windows[2:])
    for rows, cols in windows:
        assert (rows.stop - rows.start, cols.stop - cols.start) == (16, 16)
        assert rows.start % 4 == 0 and cols.start % 4 == 0 and rows.stop <= 30 and cols.stop <= 50
    rows, cols = random_window(picture, 40, torch.Generator())
    assert (rows.stop - rows.start, cols.stop - cols.start) == (30, 40)  # narrower where the picture is
    assert random_window(picture, 64, torch.Generator()) == (slice(0, 30), slice(0, 50))


def test_painting_windows_are_squares_a_quarter_side_apart_that_reach_every_edge():
    import torch

    from genart_core.pipelines.learn_style import painting_windows

    height, width = 40, 72
    painting = torch.arange(height * width, dtype=torch.float32).reshape(1, 1, height, width)
    windows = painting_windows(painting, 32)
    corners = [(int(window[0, 0, 0, 0]) // width, int(window[0, 0, 0, 0]) % width) for window in windows]
    assert corners == [(top, left) for top in (0, 8) for left in (0, 8, 16, 24, 32, 40)]
    assert all(window.shape[-2:] == (32, 32) for window in windows)
    # A stride that does not divide the room left still ends on the far edges.
    corners = {(int(window[0, 0, 0, 0]) // width, int(window[0, 0, 0, 0]) % width) for window in painting_windows(painting, 30)}
    assert {top for top, _ in corners} == {0, 7, 10} and max(left for _, left in corners) == 42
    # Narrower where the painting is; a painting no larger than the side is its only window.
    assert all(window.shape[-2:] == (20, 32) for window in painting_windows(painting[..., :20, :], 32))
    (only,) = painting_windows(painting, 80)
    assert torch.equal(only, painting)


def test_a_crop_is_judged_against_the_painting_s_crops_and_a_whole_photo_against_the_whole_painting(tmp_path, photos, one_torch_thread, monkeypatch):
    import torch

    from genart_core.api import CancelToken
    from genart_core.engine import RunContext
    from genart_core.imaging import load_image, to_tensor
    from genart_core.pipelines import learn_style, style_objective
    from genart_core.pipelines.style_images import fit_for_network, resize_long_side

    request = _request(tmp_path, photos, crop_size=32)  # photos of 48×36 and 36×48 at the train size
    learner = learn_style.build_learner(request, RunContext(Engine(), lambda progress: None, CancelToken()), torch.device("cpu"))
    whole, cropped = learner.objectives[0], learner.crop_objectives[0]
    painting = fit_for_network(resize_long_side(to_tensor(load_image(request.style_path)), request.train_size))
    expected = style_objective.style_grams(whole.features, whole.dtype, [(window, 1.0) for window in learn_style.painting_windows(painting, 32)])
    for layer, gram in expected.items():
        assert torch.allclose(cropped.style_grams[layer], gram, rtol=1e-4, atol=1e-9)  # the tiny VGG's Grams are ~1e-4
        assert not torch.allclose(whole.style_grams[layer], gram, rtol=0.01, atol=0)  # the whole painting's differ
    judged = []
    call = style_objective.Objective.__call__

    def spying_call(objective, image):
        judged.append((objective.style_grams is cropped.style_grams, tuple(image.shape[-2:])))
        return call(objective, image)

    monkeypatch.setattr(style_objective.Objective, "__call__", spying_call)
    vector = torch.zeros(100, requires_grad=True)
    learner.step_loss(vector, 0)
    learner.crop_size = 64  # larger than the photo: the step sees all of it
    learner.step_loss(vector, 0)
    assert judged == [(True, (32, 32)), (False, tuple(learner.photos[0].shape[-2:]))]


def test_a_crop_s_content_target_cut_from_the_whole_photo_matches_the_crop_s_own_features_inside(tmp_path):
    """Learning cuts each crop's content target from its photo's features: on CONTENT_STRIDE, the cut
    is the crop's own features wherever the crop's zero-padded border does not reach."""
    import torch

    from genart_core.pipelines.learn_style import feature_window, random_window
    from genart_core.pipelines.style_objective import CONTENT_LAYER, CONTENT_STRIDE
    from genart_core.vgg_weights import load_vgg

    features = load_vgg(str(save_tiny_vgg(tmp_path)))
    # Blocks of colour: edges everywhere, so a shift changes the features (the tiny VGG's deep
    # features vary little, hence the tight tolerances).
    blocks = torch.rand(1, 3, 40, 46, generator=torch.Generator().manual_seed(0))
    photo = torch.nn.functional.interpolate(blocks, size=(200, 232), mode="nearest")
    with torch.no_grad():
        whole = features(photo, (CONTENT_LAYER,))[CONTENT_LAYER]
        for seed in range(4):
            rows, cols = random_window(photo, 128, torch.Generator().manual_seed(seed), CONTENT_STRIDE)
            own = features(photo[..., rows, cols], (CONTENT_LAYER,))[CONTENT_LAYER]
            feature_rows, feature_cols = feature_window(rows, cols)
            cut = whole[..., feature_rows, feature_cols]
            assert cut.shape == own.shape == (1, whole.shape[1], 16, 16)
            # The padding of the ten convolutions below relu4_2 reaches 38 pixels in: under 5 positions.
            assert torch.allclose(cut[..., 5:-5, 5:-5], own[..., 5:-5, 5:-5], rtol=0, atol=1e-6)
            assert not torch.allclose(cut, own, rtol=0, atol=1e-3)  # the border is where they differ
        # One pixel off the stride, the cut is no longer the crop's features anywhere.
        shifted = features(photo[..., 9:137, 8:136], (CONTENT_LAYER,))[CONTENT_LAYER]
        assert not torch.allclose(whole[..., 1:17, 1:17][..., 5:-5, 5:-5], shifted[..., 5:-5, 5:-5], rtol=0, atol=1e-5)


def test_learning_runs_the_network_in_the_compute_dtype_and_hands_back_fp32():
    import torch

    from genart_core.models.style_transformer import StyleTransformer
    from genart_core.pipelines.learn_style import StyleLearner

    torch.manual_seed(0)
    transformer, photo, vector = StyleTransformer(), torch.rand(1, 3, 32, 32), torch.randn(100)

    def stylised(dtype):
        return StyleLearner(transformer, lambda photo: None, [photo], crop_size=32, seed=0, dtype=dtype).stylised(photo, vector)

    full, half = stylised(torch.float32), stylised(torch.bfloat16)
    assert full.dtype == half.dtype == torch.float32
    assert 0 < (full - half).abs().mean() < 0.02  # bf16 really ran, and still draws the same picture


def test_learning_sees_the_network_s_pictures_as_the_instant_path_shows_them():
    import torch

    from genart_core.fast_style.network_grid import without_grid
    from genart_core.imaging import from_tensor
    from genart_core.models.style_transformer import StyleTransformer
    from genart_core.pipelines.learn_style import StyleLearner

    torch.manual_seed(0)
    transformer, photo, vector = StyleTransformer(), torch.rand(1, 3, 96, 80), torch.randn(100)
    seen = StyleLearner(transformer, lambda photo: None, [photo], crop_size=96, seed=0).stylised(photo, vector)
    with torch.no_grad():
        painted = transformer(photo, vector[None])
    shown = without_grid(from_tensor(painted)).astype(float)  # what fast_style.run makes of it
    assert np.abs(from_tensor(seen.detach()).astype(float) - shown).max() <= 1
    assert np.abs(from_tensor(painted).astype(float) - shown).max() > 1  # the grid removal did something here


def test_the_canvas_gets_its_share_of_the_steps_and_the_other_photos_take_turns():
    import torch

    from genart_core.models.style_transformer import StyleTransformer
    from genart_core.pipelines.learn_style import StyleLearner

    photos = [torch.zeros(1, 3, 8, 8) for _ in range(4)]

    def learner(canvas, share):
        return StyleLearner(StyleTransformer(), lambda photo: None, photos, crop_size=8, seed=0, canvas=canvas, canvas_share=share)

    half = [learner(3, 0.5).photo_for_step(step) for step in range(1, 13)]
    assert half[1::2] == [3] * 6  # every other step is the canvas
    assert sorted(half[0::2]) == [0, 0, 1, 1, 2, 2]  # the others in turn
    quarter = [learner(3, 0.25).photo_for_step(step) for step in range(1, 13)]
    assert quarter.count(3) == 3 and [step for step, photo in enumerate(quarter, 1) if photo == 3] == [4, 8, 12]
    # Share 0, or no canvas: every photo in turn, as before canvases had a share.
    assert [learner(3, 0.0).photo_for_step(step) for step in range(1, 9)] == [1, 2, 3, 0, 1, 2, 3, 0]
    assert [learner(None, 0.5).photo_for_step(step) for step in range(1, 5)] == [1, 2, 3, 0]
    assert learner(3, 1.0).photo_for_step(1) == 3
    # The losses before and after weigh each photo by its share of the steps.
    assert learner(3, 0.5).photo_weights() == pytest.approx([1 / 6, 1 / 6, 1 / 6, 0.5])
    assert learner(3, 0.0).photo_weights() == learner(None, 0.5).photo_weights() == pytest.approx([0.25] * 4)


def test_learning_for_a_canvas_trains_on_crops_of_it_and_previews_all_of_it(tmp_path, photos, one_torch_thread, monkeypatch):
    from genart_core.pipelines import learn_style

    seen = []
    step_loss = learn_style.StyleLearner.step_loss
    random_window = learn_style.random_window

    def spying_step_loss(self, vector, photo):
        seen.append([photo, self.photos[photo].shape])
        return step_loss(self, vector, photo)

    def spying_window(picture, side, generator, align):
        rows, cols = random_window(picture, side, generator, align)
        seen[-1].append((rows.stop - rows.start, cols.stop - cols.start))
        return rows, cols

    monkeypatch.setattr(learn_style.StyleLearner, "step_loss", spying_step_loss)
    monkeypatch.setattr(learn_style, "random_window", spying_window)
    canvas = scene(96, 72)
    reports: list[Progress] = []
    result = Engine().run(_request(tmp_path, photos, canvas=canvas, crop_size=32, steps=6), reports.append)
    card = result.extras["card"]
    assert card["canvas"] and card["canvas_share"] == 0.5 and card["train_size"] == 48
    assert [photo for photo, *_ in seen] == [1, 2, 0, 2, 1, 2]
    canvas_shape = seen[1][1]
    assert canvas_shape[-2:] == (36, 48)  # at the train size
    assert all(crop[-2:] == (32, 32) for _, _, crop in seen)  # the canvas's steps are crops too
    previews = [r.preview for r in reports if r.preview is not None]
    assert previews and all(p.shape[:2] == tuple(canvas_shape[-2:]) for p in previews)  # the canvas, not a sample photo
    assert result.images[0].shape[:2] == tuple(canvas_shape[-2:])


def test_styles_are_learned_at_the_train_size_or_a_smaller_canvas_s_own_size(tmp_path, photos):
    from genart_core.pipelines.learn_style import learning_side
    from genart_core.pipelines.style_images import NETWORK_MIN_SIDE

    request = _request(tmp_path, photos, train_size=512)
    assert learning_side(request) == 512
    assert learning_side(dataclasses.replace(request, canvas=scene(300, 200))) == 300  # shown at 300 px
    assert learning_side(dataclasses.replace(request, canvas=scene(2000, 900))) == 512
    assert learning_side(dataclasses.replace(request, canvas=scene(1, 1))) == NETWORK_MIN_SIDE


def test_the_cli_learns_for_a_photo_and_refuses_an_unreadable_one(tmp_path, photos, capsys, monkeypatch, one_torch_thread):
    from genart_core import terminal

    tiny_vgg = str(save_tiny_vgg(tmp_path))
    requests = []

    def run_small(request, *args, **kwargs):
        # The CLI's own request, learned with the tiny VGG at a small size so the test stays fast.
        requests.append(request)
        return Engine().run(dataclasses.replace(request, weights=tiny_vgg, train_size=48, output=str(tmp_path / "learned")))

    monkeypatch.setattr(terminal, "run_in_terminal", run_small)
    with pytest.raises(SystemExit) as help_exit:
        main(["styles", "learn", "--help"])
    assert help_exit.value.code == 0 and "50 % of the steps" in " ".join(capsys.readouterr().out.split())
    photo = write(tmp_path / "my photo.png", scene(40, 32))
    assert main(["styles", "learn", "mosaic", "--steps", "2", "--content-dir", str(photos), "--photo", str(photo)]) == 0
    assert requests[0].canvas.shape == (32, 40, 3) and requests[0].canvas_share == 0.5
    assert capsys.readouterr().out.startswith("Learned Mosaic in ")
    assert read_learned(tmp_path / "learned" / "mosaic.safetensors").card["canvas"]
    # --photo-only: every step trains on the photo; without a photo it is a clear error.
    assert main(["styles", "learn", "mosaic", "--steps", "2", "--content-dir", str(photos), "--photo", str(photo), "--photo-only"]) == 0
    assert requests[1].canvas_share == 1.0
    assert read_learned(tmp_path / "learned" / "mosaic.safetensors").card["canvas_share"] == 1.0
    capsys.readouterr()
    assert main(["styles", "learn", "mosaic", "--photo-only"]) != 0
    assert "--photo-only needs --photo" in capsys.readouterr().err and len(requests) == 2

    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture")
    assert main(["styles", "learn", "mosaic", "--photo", str(broken)]) != 0
    assert "broken.png" in capsys.readouterr().err and len(requests) == 2


def test_a_canvas_share_outside_0_to_1_gets_a_clear_message(tmp_path, photos):
    with pytest.raises(GenArtError, match="share of the learning steps"):
        Engine().run(_request(tmp_path, photos, canvas=scene(48, 48), canvas_share=1.5))


def test_learning_on_crops_smaller_than_the_photos_lowers_the_whole_photo_loss(tmp_path, photos, one_torch_thread):
    write(photos / "strip.png", scene(200, 4))  # a thin strip is mirrored out for VGG, not refused
    result = Engine().run(_request(tmp_path, photos, crop_size=32, steps=8))
    card = result.extras["card"]
    assert card["crop_size"] == 32 and card["train_size"] == 48 and card["crop_style_target"] == "the painting's crops"
    # before/after are over the whole photos, not the crops the steps saw
    assert card["total_loss_after"] < card["total_loss_before"]


def test_a_heavier_style_weight_buys_a_lower_style_loss(tmp_path, photos, one_torch_thread):
    cards = [Engine().run(_request(tmp_path, photos, style_weight=weight, steps=8)).extras["card"] for weight in (1.0, 40.0)]
    assert [card["style_weight"] for card in cards] == [1.0, 40.0]
    assert cards[0]["style_loss_before"] == pytest.approx(cards[1]["style_loss_before"])  # the same start
    assert cards[1]["style_loss_after"] < cards[0]["style_loss_after"]


def test_stop_and_keep_saves_the_vector_so_far(tmp_path, photos, one_torch_thread):
    token = CancelToken()

    def stop_after_two(progress: Progress) -> None:
        if progress.step == 2:
            token.stop_and_keep()

    result = Engine().run(_request(tmp_path, photos), stop_after_two, token)
    assert result.stopped == "at step 2/6" and result.extras["card"]["steps"] == 2
    assert (user_learned_dir() / "stripes.safetensors").is_file()


def test_vector_only_learning_writes_no_norm_offsets(tmp_path, photos, one_torch_thread):
    result = Engine().run(_request(tmp_path, photos, steps=2, tune_norms=False))
    assert read_learned(result.extras["path"]).norm_offsets == {} and result.extras["card"]["tuned"] == "style vector"


def test_cancel_saves_nothing(tmp_path, photos, one_torch_thread):
    token = CancelToken()

    def cancel_at_once(progress: Progress) -> None:
        if progress.step == 1:
            token.cancel()

    with pytest.raises(Cancelled):
        Engine().run(_request(tmp_path, photos), cancel_at_once, token)
    assert not list(user_learned_dir().glob("*.safetensors"))


def test_an_empty_content_folder_gets_a_clear_message(tmp_path, photos, one_torch_thread):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(GenArtError, match="no readable photos"):
        Engine().run(_request(tmp_path, photos, content_dir=str(empty)))


def test_the_cli_lists_styles_and_uses_a_learned_one(tmp_path, photos, capsys, monkeypatch, one_torch_thread):
    from genart_core.fast_style import learned_styles

    monkeypatch.setattr(learned_styles, "builtin_learned_dir", lambda: tmp_path / "no-shipped-styles")
    assert main(["styles", "list", "--fast"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6 and lines[0].split("\t")[0] == "Brush strokes"
    assert all(line.endswith("predicted") for line in lines)

    mosaic = find_style("mosaic")
    Engine().run(_request(tmp_path, photos, style_name="Mosaic", style_path=str(mosaic.path), steps=2))
    assert main(["styles", "list", "--fast"]) == 0
    listing = dict(line.split("\t", 1) for line in capsys.readouterr().out.splitlines())
    assert listing["Mosaic"].startswith("built-in\tlearned")

    content = write(tmp_path / "content.png", scene(40, 32))
    out = tmp_path / "out.png"
    assert main(["stylize", str(content), "--style", "mosaic", "--fast", "--report-time", "-o", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].endswith(" s") and float(printed[0].split()[0]) >= 0
    from genart_core.artwork import read_generation_info

    info = read_generation_info(out)
    assert info.request["type"] == "FastStyleRequest" and info.request["styles"][0]["kind"] == "learned"
    assert info.request["network_side"] == 512
    # --network-side 0: painted at the result's own size, and recorded so for Reproduce.
    assert main(["stylize", str(content), "--style", "mosaic", "--fast", "--size", "0", "--network-side", "0", "-o", str(out)]) == 0
    assert read_generation_info(out).request["network_side"] is None


def test_refine_starts_from_the_instant_result_and_lowers_the_loss(tmp_path, one_torch_thread):
    from genart_core.requests.fast_style import FastStyleRequest, RefineRequest, StyleVectorSource

    style = write(tmp_path / "stripes.png", stripes(96))
    instant = FastStyleRequest(content=scene(64, 48), styles=(StyleVectorSource("Stripes", str(style)),), size=None)
    request = RefineRequest(instant=instant, iterations=6, weights=str(save_tiny_vgg(tmp_path)))
    totals: list[float] = []
    engine = Engine()
    result = engine.run(request, lambda p: totals.append(p.step))
    first_image = engine.run(instant).images[0]
    assert result.images[0].shape == first_image.shape == (48, 64, 3)
    # A few small Adam steps from the instant result: changed, but still close to it (not the photo).
    change = np.abs(result.images[0].astype(float) - first_image).mean()
    assert 0 < change < np.abs(first_image.astype(float) - scene(64, 48)).mean()
    assert totals[-1] == 6
    assert result.extras["losses"]["total"] < result.extras["start_losses"]["total"]
    assert 0 <= result.infos[0].extra["Photo blended back"] <= 1

    token = CancelToken()

    def stop_at_three(progress: Progress) -> None:
        if progress.phase == "Refining" and progress.step == 3:
            token.stop_and_keep()

    stopped = engine.run(request, stop_at_three, token)
    assert stopped.stopped == "at step 3/6" and stopped.infos[0].extra["Stopped at step"] == "3/6"


def test_the_shipped_learned_styles_are_valid_and_belong_to_built_in_styles():
    from genart_core.fast_style.learned_styles import builtin_learned_dir

    shipped = [style for style in list_learned() if style.builtin]
    assert len(shipped) == len(list(builtin_learned_dir().glob("*.safetensors")))
    for style in shipped:
        assert find_style(style.name).builtin
        assert style.card["total_loss_after"] <= style.card["total_loss_before"]  # what learning minimises
        assert style.path.stat().st_size < 16384


def test_the_builtin_script_rebuilds_the_card_from_every_learned_file(tmp_path):
    from genart_core.fast_style.learned_styles import save_learned
    from scripts.learn_builtin_styles import card_table, folder_cards

    def card(style: str, **extra) -> dict:
        losses = {f"{key}_loss_{when}": value for key in ("style", "content", "total") for when, value in (("before", 0.5), ("after", 0.25))}
        return {"style": style, "tuned": "style vector", "steps": 3, "train_size": 64, "seconds": 1.0, "data": "photos", **losses, **extra}

    save_learned(tmp_path / "b.safetensors", np.zeros(100, np.float32),
                 card("Beta", crop_size=32, style_weight=12.0, content_target="cut from the whole photo's features", network_dtype="bfloat16",
                      network_grid="removed", crop_style_target="the painting's crops"))
    save_learned(tmp_path / "a.safetensors", np.zeros(100, np.float32), card("Alpha"))  # an older card, without a crop size
    (tmp_path / "broken.safetensors").write_bytes(b"not a learned style")
    cards = folder_cards(tmp_path)
    assert [c["style"] for c in cards] == ["Alpha", "Beta"]
    table = card_table(cards, "Machine: test.")
    # An older card (weight 4, no crops, VGG on each crop in fp32, judged against the whole painting,
    # the grid kept) reads as what it was; a newer one shows its weight, crop and method.
    assert "| Alpha | style vector | 4 | 3 | 64 / 64 | the crop's own VGG pass | the whole painting | float32 | kept |" in table
    assert "| Beta | style vector | 12 | 3 | 64 / 32 | cut from the whole photo's features | the painting's crops | bfloat16 | removed |" in table
    assert "0.500 → 0.250" in table and "Machine: test." in table
