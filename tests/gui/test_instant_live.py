"""Live mode in the window: strokes on the canvas restyled by the real instant worker, crop updates
and the settling full pass (genart_core/fast_style/live_update.py)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent

from desktop_app.main_window import MainWindow
from genart_core.requests.fast_style import FastStyleRequest
from tests.core.vgg_helpers import scene
from tests.gui.instant_helpers import WAIT_MS, mouse, photo_with_preview, preview_after, select


@pytest.fixture
def window(instant_window):
    return instant_window


def test_live_mode_restyles_once_after_a_stroke_ends(window, qtbot):
    photo_with_preview(qtbot, window)
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS):
        window.instant_panel.live.click()
    answered: list[FastStyleRequest] = []
    window.instant_style.runner.result_ready.connect(lambda _id, request, _result: answered.append(request))
    before = window.canvas.image_array()
    window.canvas.zoom_actual_size()
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS):
        mouse(window, QEvent.Type.MouseButtonPress, (20, 20))
        for x in range(22, 80, 4):
            mouse(window, QEvent.Type.MouseMove, (x, 30))
        assert not answered  # nothing while the stroke goes on
        mouse(window, QEvent.Type.MouseButtonRelease, (80, 30))
    qtbot.wait(400)
    assert len(answered) == 1  # one update for the stroke
    assert not np.array_equal(window.canvas.image_array(), before)  # the stroke went under the live preview
    assert np.array_equal(answered[0].content, window.canvas.image_array())


def _live_on_photo(qtbot, window: MainWindow) -> list[FastStyleRequest]:
    """A photo with its preview, Live on; returns the requests of the results shown from now on."""
    photo_with_preview(qtbot, window)
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS):
        window.instant_panel.live.click()
    answered: list[FastStyleRequest] = []
    window.instant_style.runner.result_ready.connect(lambda _id, request, _result: answered.append(request))
    window.canvas.zoom_actual_size()
    return answered


def _stroke(window: MainWindow, y: float, release: bool = True) -> None:
    mouse(window, QEvent.Type.MouseButtonPress, (10, y))
    for x in range(14, 70, 4):
        mouse(window, QEvent.Type.MouseMove, (x, y + 4))
    if release:
        mouse(window, QEvent.Type.MouseButtonRelease, (70, y + 4))


def test_live_mode_restyles_at_once_when_a_stroke_ends(window, qtbot):
    """The release sends the request synchronously, without Live's pause: no event loop runs in between."""
    answered = _live_on_photo(qtbot, window)
    _stroke(window, 20, release=False)
    assert not window.instant_style.runner.busy  # a moving stroke sends nothing yet
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS) as blocker:
        mouse(window, QEvent.Type.MouseButtonRelease, (70, 24))
        assert window.instant_style.runner.busy  # sent on the release itself
    assert np.array_equal(blocker.args[1].content, window.canvas.image_array())
    qtbot.wait(200)
    assert len(answered) == 1


def test_live_mode_restyles_a_stroke_that_pauses_before_it_ends(window, qtbot):
    answered = _live_on_photo(qtbot, window)
    _stroke(window, 20, release=False)
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS) as blocker:
        pass  # the button is still held: the pause alone restyles
    mid_stroke = window.canvas.image_array()
    assert np.array_equal(blocker.args[1].content, mid_stroke) and window.canvas.has_preview
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS) as blocker:
        mouse(window, QEvent.Type.MouseButtonRelease, (70, 24))
    assert len(answered) == 2 and np.array_equal(blocker.args[1].content, window.canvas.image_array())


def test_live_mode_drops_the_result_of_a_stroke_already_painted_over(window, qtbot):
    """Two strokes end before the worker answers: the first one's result would show a picture that
    is no longer on the canvas, so only the second one's reaches it."""
    answered = _live_on_photo(qtbot, window)
    _stroke(window, 20)
    first = window.canvas.image_array()
    _stroke(window, 40)
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS):
        pass
    qtbot.waitUntil(lambda: not window.instant_style.runner.busy, timeout=WAIT_MS)
    qtbot.wait(200)
    assert not np.array_equal(first, window.canvas.image_array())
    assert len(answered) == 1 and np.array_equal(answered[0].content, window.canvas.image_array())


def test_a_live_update_of_a_crop_is_followed_by_one_full_pass_once_the_strokes_pause(window, qtbot):
    """A small stroke restyles a crop around it; when no stroke follows, the whole picture is
    restyled once more, with fresh normalisation statistics."""
    from desktop_app.instant_style import SETTLE_MS

    window.canvas.set_image(scene(320, 256))
    preview_after(qtbot, window, lambda: select(window, "Mosaic"))
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS):
        window.instant_panel.live.click()
    window.canvas.zoom_actual_size()
    crops: list = []
    requests: list[FastStyleRequest] = []
    window.instant_style.runner.result_ready.connect(lambda _id, request, result: (crops.append(result.extras["crop"]), requests.append(request)))
    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS):
        _stroke(window, 20)
    assert crops[0] and crops[0][3] - crops[0][1] < 320  # a crop, not the whole width
    # A second stroke before the pause is over: its own crop update, and the wait starts again.
    _stroke(window, 40)
    qtbot.waitUntil(lambda: len(crops) == 2, timeout=WAIT_MS)
    assert crops[1]
    qtbot.waitUntil(lambda: len(crops) == 3, timeout=WAIT_MS)
    assert crops[2] is None  # the settling full pass
    qtbot.wait(2 * SETTLE_MS)
    assert len(crops) == 3  # and no more
    assert requests[2].live and np.array_equal(requests[2].content, window.canvas.image_array())


def test_a_stroke_shows_over_the_live_picture_until_its_restyled_picture_arrives(window, qtbot):
    # Under Live's picture the brush paints the layers beneath; without drawing the stroke over the
    # picture, the artist painted blind until the stroke paused or ended.
    _live_on_photo(qtbot, window)
    window.canvas.brush.colour = (0, 255, 0)
    window.canvas.brush.hardness = 1.0
    shown = window.canvas.grab().toImage()
    rect = window.canvas.image_rect()
    point = (rect.left() + 40 * window.canvas.zoom, rect.top() + 34 * window.canvas.zoom)
    before = shown.pixelColor(int(point[0]), int(point[1]))
    assert (before.red(), before.green(), before.blue()) != (0, 255, 0)

    _stroke(window, 30, release=False)  # still painting: no restyled picture yet
    during = window.canvas.grab().toImage().pixelColor(int(point[0]), int(point[1]))
    assert (during.red(), during.green(), during.blue()) == (0, 255, 0)

    with qtbot.waitSignal(window.instant_style.runner.result_ready, timeout=WAIT_MS):
        mouse(window, QEvent.Type.MouseButtonRelease, (70, 34))
    after = window.canvas.grab().toImage().pixelColor(int(point[0]), int(point[1]))
    assert (after.red(), after.green(), after.blue()) != (0, 255, 0)  # the restyled stroke, not the raw paint
