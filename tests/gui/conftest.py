"""Fixtures shared by the GUI tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.main_window import MainWindow
from desktop_app.settings import settings


@pytest.fixture(autouse=True)
def fresh_settings():
    """Each test starts as on a first launch: no window layout or choices kept by an earlier test."""
    settings().clear()
    yield
    settings().clear()


@pytest.fixture
def window(qtbot):
    """A shown main window with its real controller and worker thread; closed (and the thread
    stopped) after the test."""
    main = MainWindow()
    qtbot.addWidget(main)
    main.resize(900, 600)
    main.show()
    qtbot.waitExposed(main)
    yield main
    main.close()


@pytest.fixture(scope="session")
def instant_graph_cache(tmp_path_factory) -> Path:
    """The float graphs derived from the wheel's files, derived once for every instant-style test."""
    return tmp_path_factory.mktemp("instant-cache")


@pytest.fixture
def instant_window(qtbot, tmp_path, monkeypatch, instant_graph_cache):
    """A shown main window for the instant-style tests: a shared cache of derived graphs, and a tiny
    VGG for Refine and learning (no 80 MB network in GUI tests)."""
    from tests.core.vgg_helpers import save_tiny_vgg

    monkeypatch.setenv("GENART_CACHE_DIR", str(instant_graph_cache))
    main = MainWindow()
    qtbot.addWidget(main)
    main.resize(1000, 700)
    main.show()
    qtbot.waitExposed(main)
    main.stylize_panel.weights_source = str(save_tiny_vgg(tmp_path))
    yield main
    main.close()
