"""An installed copy finds its bundled resources as package data, wherever pip put it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def test_a_target_install_finds_its_resources_outside_sys_prefix(tmp_path):
    # --target is the layout `pip install --user` has: packages outside sys.prefix. No build
    # isolation: the environment's setuptools builds it, so nothing is downloaded.
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--target", str(target), str(REPOSITORY)],
        check=True, capture_output=True, timeout=300,
    )
    probe = (
        "from genart_core import paths, styles, weights\n"
        "print(paths.__file__)\nprint(paths.resources_dir())\n"
        "print(sorted(m.name for m in weights.available_models() if m.status == 'bundled'))\n"
        "print(len(styles.list_styles()))\n"
    )
    environment = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=environment, check=True, capture_output=True, text=True, timeout=120).stdout
    module, resources, models, style_count = out.splitlines()
    assert Path(module).is_relative_to(target)  # the installed copy ran, not this checkout
    assert Path(resources) == target / "genart_resources"
    assert models == "['dcgan-digits', 'digit-sr', 'genart-sr', 'genart-sr-4x', 'tiny-diffusion', 'vae-digits']"
    assert int(style_count) >= 6
