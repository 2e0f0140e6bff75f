"""Fixtures shared by the GUI tests."""

from __future__ import annotations

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
