"""The real MainWindow starts with every kind of damaged store in place, and says once what it left out."""

from __future__ import annotations

import json
import shutil

import pytest

from desktop_app.main_window import MainWindow
from desktop_app.settings import settings
from genart_core import paths
from tests.readback_corpus import CORPUS_DIR


def _start(qtbot) -> MainWindow:
    main = MainWindow()
    qtbot.addWidget(main)
    main.show()
    qtbot.waitExposed(main)
    return main


def _settings_value(name: str):
    return json.loads((CORPUS_DIR / "settings" / name).read_text(encoding="utf-8"))["value"]


def test_the_window_starts_with_every_store_damaged_and_lists_what_it_left_out(qtbot):
    history = paths.data_dir() / "history"
    history.mkdir(parents=True)
    for file in (CORPUS_DIR / "history").glob("*.json"):
        shutil.copy(file, history / file.name)
    shutil.copy(CORPUS_DIR / "registry" / "fix_holds_5.json", paths.data_dir() / "sd_models.json")
    for file in (CORPUS_DIR / "cards").glob("bad_*.json"):
        (paths.models_dir() / file.stem).mkdir()
        shutil.copy(file, paths.models_dir() / file.stem / "card.json")
    settings().setValue("prompt/choices", '{"steps": 1e11, "strength": NaN, "prompt": "sea", "width": 640}')
    settings().setValue("recent/files", ["/x/a.ora", "/x/b\0.png", 5])

    main = _start(qtbot)
    try:
        assert main.isVisible()
        notice = main.readback_notice
        assert notice is not None
        qtbot.waitUntil(notice.isVisible, timeout=5_000)
        text = notice.informativeText()
        assert "History entry bad_created_1e300" in text and "Model 1 in sd_models.json" in text
        assert main.prompt_panel.prompt.toPlainText() == "sea" and main.prompt_panel.width_box.value() == 640
        assert main.history_panel.list.count() == 3  # ok_entry, ok_no_info, fix_info_wrong_types
        bad_count = len(list((CORPUS_DIR / "history").glob("bad_*.json")))
        assert len(list(history.glob("*.json.damaged"))) == bad_count
    finally:
        main.close()

    again = _start(qtbot)  # the notice is a one-time one: what was set aside is not reported again
    try:
        assert again.readback_notice is None
        assert again.history_panel.list.count() == 3
    finally:
        again.close()


@pytest.mark.parametrize("name", sorted(p.name for p in (CORPUS_DIR / "registry").glob("*.json")))
def test_the_window_starts_with_any_damaged_model_list(qtbot, name):
    shutil.copy(CORPUS_DIR / "registry" / name, paths.data_dir() / "sd_models.json")
    main = _start(qtbot)
    try:
        assert main.isVisible()
        assert (main.readback_notice is not None) == (not name.startswith("ok_"))
    finally:
        main.close()


@pytest.mark.parametrize("name", sorted(p.name for p in (CORPUS_DIR / "settings").glob("*.json")))
def test_the_window_starts_with_any_damaged_setting(qtbot, name):
    stored = json.loads((CORPUS_DIR / "settings" / name).read_text(encoding="utf-8"))
    settings().setValue(stored["key"], stored["value"])
    main = _start(qtbot)
    try:
        assert main.isVisible()
        assert 1 <= main.prompt_panel.steps.value() <= 200
    finally:
        main.close()
