"""genart_core must stay usable without Qt: no module of it may import PySide6 or desktop_app."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import genart_core

CORE = Path(genart_core.__file__).parent
FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "desktop_app")


def test_no_core_source_imports_qt_or_the_gui():
    offenders = []
    for source in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{source.relative_to(CORE)}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_importing_every_core_module_loads_no_qt():
    # A fresh interpreter, so modules imported by other tests do not count.
    script = (
        "import importlib, pkgutil, sys, genart_core\n"
        "for m in pkgutil.walk_packages(genart_core.__path__, 'genart_core.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(','.join(sorted(n for n in sys.modules if n.split('.')[0] in %r)))\n" % (FORBIDDEN,)
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == ""


def test_building_a_request_does_not_import_torch():
    script = (
        "import importlib, pkgutil, sys, genart_core.requests as r\n"
        "for m in pkgutil.iter_modules(r.__path__):\n"
        "    importlib.import_module('genart_core.requests.' + m.name)\n"
        "import genart_core.api, genart_core.artwork, genart_core.imaging\n"
        "print('torch' in sys.modules)\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "False"
