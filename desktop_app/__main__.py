"""``genart-studio``: start the desktop app (or, with --install-desktop-entry, add it to the menu)."""

from __future__ import annotations

import argparse
import logging
import sys


def _parse(argv: list[str]) -> argparse.Namespace:
    from genart_core import __version__

    parser = argparse.ArgumentParser(prog="genart-studio", description="GenArt Studio, the AI painting app.")
    parser.add_argument("files", nargs="*", help="an image to open on the canvas")
    parser.add_argument("--install-desktop-entry", action="store_true", help="add GenArt Studio to your applications menu and exit")
    parser.add_argument("--version", action="version", version=f"GenArt Studio {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log in detail")
    # Qt consumes its own arguments (-platform, -style, …) first; parse_known_args leaves them.
    return parser.parse_known_args(argv)[0]


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.install_desktop_entry:
        from desktop_app.desktop_entry import install_desktop_entry

        print(f"Installed {install_desktop_entry()}")  # noqa: T201 - the command's answer, for a terminal
        return 0

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desktop_app import settings
    from desktop_app.main_window import MainWindow
    from desktop_app.start_order import StartOrder

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(settings.ORGANISATION)
    app.setApplicationName(settings.APPLICATION)
    app.setDesktopFileName("genart-studio")
    window = MainWindow()
    window.show()
    for path in args.files[:1]:
        window.canvas.open_file(path)
    if not args.files:
        from desktop_app.autosave import offer_recovery

        # After a crash, the last autosave is offered before anything else happens.
        QTimer.singleShot(0, lambda: offer_recovery(window, window.canvas))
    # The instant style networks first, torch after the first instant result (start_order.py).
    StartOrder(window).start()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
