"""One real local Ray + Serve for the whole test session, with the GenArt server deployed on it.

Ray takes seconds to start, so it starts once; the replicas see a session folder of tiny models
(the offline diffusion model and a tiny seeded VGG), which is also the one folder the server
allows paths in (--allow-paths).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from genart_core.models.tiny_unet import TinyUNetConfig, build_unet
from tests.core.conftest import one_torch_thread  # noqa: F401 - the fixture, shared
from tests.core.vgg_helpers import save_tiny_vgg

LABELS = [f"digit {d}" for d in range(10)] + ["brick", "circle"]
TOKEN = "test-token-0123456789"


@dataclass
class LiveServer:
    url: str
    token: str
    folder: Path  # the allowed folder, holding the tiny models
    vgg: Path
    offline_model: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _save_offline_model(models: Path) -> str:
    torch.manual_seed(0)
    config = TinyUNetConfig(block_out_channels=(16, 32), norm_num_groups=8, labels=LABELS)
    folder = models / "tiny-test"
    folder.mkdir(parents=True)
    save_file({k: v.half().contiguous() for k, v in build_unet(config).state_dict().items()}, str(folder / "model.safetensors"))
    (folder / "card.json").write_text(json.dumps({"kind": "tiny-diffusion", "name": "tiny-test", "config": config.to_dict()}))
    return "offline:tiny-test"


@pytest.fixture(scope="session")
def live_server():
    ray = pytest.importorskip("ray")
    from ray import serve

    from genart_core.server.app import build_app

    folder = Path(os.path.realpath(tempfile.mkdtemp(prefix="genart-server-tests-")))
    env = {f"GENART_{name}_DIR": str(folder / name.lower()) for name in ("DATA", "CACHE", "MODELS")}
    env["HF_HUB_OFFLINE"] = "1"
    offline_model = _save_offline_model(Path(env["GENART_MODELS_DIR"]))
    vgg = save_tiny_vgg(folder)
    ray.init(num_cpus=2, include_dashboard=False, runtime_env={"env_vars": env}, logging_level="WARNING", log_to_driver=False)
    try:
        port = _free_port()
        serve.start(http_options={"host": "127.0.0.1", "port": port})
        serve.run(build_app(TOKEN, allow_paths=str(folder)), name="genart", route_prefix="/")
        yield LiveServer(f"http://127.0.0.1:{port}", TOKEN, folder, vgg, offline_model)
    finally:
        serve.shutdown()
        ray.shutdown()
        shutil.rmtree(folder, ignore_errors=True)
