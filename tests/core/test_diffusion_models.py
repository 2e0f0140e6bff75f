"""The model manager (genart_core.sd_models) and the CLI around it: adding, listing, refusing."""

from __future__ import annotations

import json
from pathlib import Path
from unittest.mock import create_autospec

import pytest
from safetensors.torch import save_file

from genart_core import sd_models
from genart_core.api import GenArtError
from genart_core.cli import main
from tests.model_folders import diffusers_folder


def test_a_folder_added_is_listed_and_resolved(tmp_path: Path) -> None:
    folder = diffusers_folder(tmp_path / "my-model")
    spec = sd_models.add_model(str(folder))
    assert spec.kind == "folder"
    assert spec.key in [s.key for s in sd_models.list_models()]
    assert sd_models.resolve(spec.key).location == str(folder.resolve())


def test_pickled_checkpoints_are_refused(tmp_path: Path) -> None:
    checkpoint = tmp_path / "model.ckpt"
    checkpoint.write_bytes(b"not read")
    with pytest.raises(GenArtError, match="pickled"):
        sd_models.add_model(str(checkpoint))


def test_a_safetensors_checkpoint_is_accepted(tmp_path: Path) -> None:
    import torch

    checkpoint = tmp_path / "dream.safetensors"
    save_file({"x": torch.zeros(1)}, str(checkpoint))
    assert sd_models.add_model(str(checkpoint)).kind == "file"


def test_single_file_checkpoints_are_told_apart_by_their_text_encoders(tmp_path: Path) -> None:
    import torch

    sd15, sdxl, broken = tmp_path / "sd15.safetensors", tmp_path / "sdxl.safetensors", tmp_path / "broken.safetensors"
    save_file({"cond_stage_model.transformer.text_model.embeddings.position_ids": torch.zeros(1)}, str(sd15))
    save_file({
        "conditioner.embedders.0.transformer.text_model.embeddings.position_ids": torch.zeros(1),
        "conditioner.embedders.1.model.text_projection": torch.zeros(1),
    }, str(sdxl))
    broken.write_bytes(b"\xff" * 64)
    assert not sd_models.is_sdxl_checkpoint(sd15)
    assert sd_models.is_sdxl_checkpoint(sdxl)
    with pytest.raises(GenArtError, match="not a readable"):
        sd_models.is_sdxl_checkpoint(broken)


def test_a_folder_without_model_index_is_explained(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(GenArtError, match="model_index.json"):
        sd_models.resolve(str(tmp_path / "empty"))


def test_an_undownloaded_hub_model_says_how_to_get_it() -> None:
    with pytest.raises(GenArtError, match="not been downloaded"):
        sd_models.resolve("someone/never-downloaded-model")


def test_download_with_hf_hub_offline_points_to_the_offline_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(GenArtError, match="offline model"):
        sd_models.download("someone/never-downloaded-model")


def test_select_files_prefers_fp16_safetensors_and_skips_pickles_and_single_files() -> None:
    listing = [
        "model_index.json", "sd_turbo.safetensors", "scheduler/scheduler_config.json",
        "text_encoder/config.json", "text_encoder/model.safetensors", "text_encoder/model.fp16.safetensors",
        "tokenizer/vocab.json", "tokenizer/merges.txt", "unet/config.json", "unet/diffusion_pytorch_model.bin",
        "unet/diffusion_pytorch_model.safetensors", "unet/diffusion_pytorch_model.fp16.safetensors",
    ]
    files, variant = sd_models.select_files(listing)
    assert variant == "fp16"
    assert sorted(f for f in files if f.endswith(".safetensors")) == [
        "text_encoder/model.fp16.safetensors", "unet/diffusion_pytorch_model.fp16.safetensors",
    ]
    assert "model_index.json" in files and "tokenizer/merges.txt" in files
    with pytest.raises(GenArtError, match="safetensors"):
        sd_models.select_files(["model_index.json", "unet/diffusion_pytorch_model.bin"])


def test_cli_models_add_and_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = diffusers_folder(tmp_path / "cli-model")
    assert main(["models", "add", str(folder)]) == 0
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert str(folder.resolve()) in out
    assert "offline:tiny-diffusion" in out


def test_cli_models_add_offline_hub_id_fails_plainly(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main(["models", "add", "stabilityai/sd-turbo"]) == 1
    assert "offline model" in capsys.readouterr().err


class _FakeHub:
    """Stands in for huggingface.co: a three-file diffusers repository. The fixture wraps its
    methods in autospecs of the real HfApi and hf_hub_download, so a call the installed
    huggingface_hub would reject (an argument it does not take) fails here too."""

    files = {"model_index.json": 10, "unet/config.json": 10, "unet/diffusion_pytorch_model.safetensors": 1000}

    def __init__(self, folder: Path) -> None:
        self.folder, self.fetched = folder, []

    def model_info(self, repo_id, files_metadata=False, **_options):
        from types import SimpleNamespace

        return SimpleNamespace(siblings=[SimpleNamespace(rfilename=n, size=s) for n, s in self.files.items()])

    def hf_hub_download(self, repo_id, filename, tqdm_class=None, **_options):
        bar = tqdm_class(total=self.files[filename])
        for _ in range(4):
            bar.update(self.files[filename] // 4)
        bar.close()
        path = self.folder / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")
        self.fetched.append(filename)
        return str(path)


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> _FakeHub:
    import huggingface_hub

    hub = _FakeHub(tmp_path / "snapshot")
    api = create_autospec(huggingface_hub.HfApi, instance=True)
    api.model_info.side_effect = hub.model_info
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub, "HfApi", create_autospec(huggingface_hub.HfApi, return_value=api))
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", create_autospec(huggingface_hub.hf_hub_download, side_effect=hub.hf_hub_download))
    return hub


def test_the_hub_fakes_refuse_arguments_the_real_functions_do_not_take(fake_hub: _FakeHub) -> None:
    import huggingface_hub

    with pytest.raises(TypeError):
        huggingface_hub.hf_hub_download("someone/model", "model_index.json", progress_bar_class=object)
    with pytest.raises(TypeError):
        huggingface_hub.HfApi().model_info("someone/model", with_files=True)


def test_download_reports_byte_progress(fake_hub: _FakeHub) -> None:
    seen: list[tuple[int, int]] = []
    snapshot = sd_models.download("someone/model", lambda done, total, name: seen.append((done, total)))
    assert snapshot == fake_hub.folder
    assert seen[-1] == (1020, 1020) and all(b >= a for (a, _), (b, _) in zip(seen, seen[1:]))


def test_download_cancels_between_chunks(fake_hub: _FakeHub) -> None:
    from genart_core.api import Cancelled, CancelToken

    token = CancelToken()

    def cancel_in_the_big_file(done: int, total: int, name: str) -> None:
        if name.endswith(".safetensors"):
            token.cancel()

    with pytest.raises(Cancelled):
        sd_models.download("someone/model", cancel_in_the_big_file, token)
    assert "unet/diffusion_pytorch_model.safetensors" not in fake_hub.fetched


def test_download_checks_free_disk_space(fake_hub: _FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(sd_models.shutil, "disk_usage", create_autospec(sd_models.shutil.disk_usage, return_value=usage(10**9, 10**9, 1000)))
    with pytest.raises(GenArtError, match="Not enough disk space"):
        sd_models.download("someone/model")
    assert fake_hub.fetched == []


# -- the fast decoder (TAESD) --------------------------------------------------------------------
TAESD_LISTING = {  # madebyollin/taesd: diffusers files beside the original-format and pickled ones
    ".gitattributes": 1, "README.md": 1, "config.json": 10, "diffusion_pytorch_model.bin": 1000,
    "diffusion_pytorch_model.safetensors": 1000, "taesd_decoder.safetensors": 500, "taesd_encoder.safetensors": 500,
}


def test_select_model_files_takes_the_config_and_safetensors_of_a_single_model_repository() -> None:
    assert sd_models.select_model_files(list(TAESD_LISTING)) == ["config.json", "diffusion_pytorch_model.safetensors"]
    with pytest.raises(GenArtError, match="diffusion_pytorch_model.safetensors"):
        sd_models.select_model_files(["config.json", "diffusion_pytorch_model.bin"])
    with pytest.raises(GenArtError, match="model_index.json"):
        sd_models.select_files(list(TAESD_LISTING))  # a pipeline it is not


@pytest.mark.usefixtures("empty_hf_cache")
def test_the_fast_decoder_downloads_through_the_model_machinery(fake_hub: _FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fake_hub, "files", TAESD_LISTING)
    seen: list[tuple[int, int]] = []
    folder = sd_models.fast_decoder_folder("sd", lambda done, total, name: seen.append((done, total)))
    assert folder == fake_hub.folder
    assert fake_hub.fetched == ["config.json", "diffusion_pytorch_model.safetensors"]  # the weights last
    assert seen[-1] == (1010, 1010)


@pytest.mark.usefixtures("empty_hf_cache")
def test_the_sdxl_fast_decoder_is_taesdxl(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(GenArtError, match="madebyollin/taesdxl.*untick Fast decoder"):
        sd_models.fast_decoder_folder("sdxl")


def test_a_fast_decoder_folder_that_is_incomplete_or_damaged_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    folder = tmp_path / "taesd"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"_class_name": "AutoencoderTiny"}))
    monkeypatch.setenv(sd_models.FAST_DECODER_DIR_ENV, str(tmp_path))
    with pytest.raises(GenArtError, match="GENART_TAESD_DIR.*untick Fast decoder"):
        sd_models.fast_decoder_folder("sd")
    (folder / "diffusion_pytorch_model.safetensors").write_bytes(b"\xff" * 64)
    assert sd_models.fast_decoder_folder("sd") == folder
    with pytest.raises(GenArtError, match="damaged.*untick Fast decoder"):
        sd_models.load_fast_decoder(folder, torch.float32)
