from __future__ import annotations

import pytest

from genart_core import __version__
from genart_core.cli import main


def test_help_lists_doctor(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "doctor" in capsys.readouterr().out


def test_version(capsys):
    with pytest.raises(SystemExit):
        main(["--version"])
    assert __version__ in capsys.readouterr().out


def test_doctor_reports_versions_device_folders_and_models(capsys, isolated_folders):
    assert main(["doctor", "--self-test"]) == 0
    out = capsys.readouterr().out
    for expected in ("torch", "diffusers", "device", "Folders:", str(isolated_folders), "Models:", "Self-test: rendered"):
        assert expected in out


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "usage: genart" in capsys.readouterr().out
