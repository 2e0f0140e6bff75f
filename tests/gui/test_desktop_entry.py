from __future__ import annotations

import configparser

from desktop_app.desktop_entry import install_desktop_entry


def test_desktop_entry_and_icon_are_installed_in_the_xdg_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    entry = install_desktop_entry()
    assert entry == tmp_path / "applications" / "genart-studio.desktop"
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(entry)
    section = parser["Desktop Entry"]
    assert section["Type"] == "Application" and section["Icon"] == "genart-studio"
    assert section["Exec"].split()[0].startswith(("/", "'/"))  # absolute: works without the venv on PATH
    assert (tmp_path / "icons" / "hicolor" / "scalable" / "apps" / "genart-studio.svg").is_file()
