"""Fixtures shared by the GUI tests."""

from __future__ import annotations

import pytest

from desktop_app.main_window import MainWindow


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
