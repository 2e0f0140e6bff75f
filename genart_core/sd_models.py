"""Stable Diffusion models: which are installed, adding new ones, downloading, loading.

A model key (what requests carry) is one of:
  "offline:<name>"   the bundled offline model (genart_core.pipelines.tiny_diffusion),
  a folder           a diffusers folder (model_index.json + component folders),
  a file             a single ``.safetensors`` checkpoint (loaded with from_single_file),
  a hub id           "stabilityai/sd-turbo", downloaded into the standard Hugging Face cache.
Models added by the user are remembered in <data dir>/sd_models.json. Only safetensors weights
are ever read, so a file a user hands us cannot run code. The optional fast decoder (TAESD) is
downloaded and loaded here too.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from genart_core import model_files, paths, validate, weights
from genart_core.api import CancelToken, GenArtError
from genart_core.atomic import write_bytes_atomic
from genart_core.requests.diffusion import OFFLINE_PREFIX

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

REGISTRY_FILE = "sd_models.json"
OFFLINE_KIND = "tiny-diffusion"
SUGGESTED_CPU_MODEL = "stabilityai/sd-turbo"
PICKLED_SUFFIXES = {".ckpt", ".pt", ".pth", ".bin", ".pkl"}
# The files of a diffusers repository we need besides the weights (configs, tokenizer).
_SMALL_FILE_SUFFIXES = (".json", ".txt", ".model")
# A single-model repository's files. The weights come last: once they are in the cache, the
# download finished (a cancelled one leaves only the config).
_SINGLE_MODEL_FILES = ("config.json", "diffusion_pytorch_model.safetensors")
OFFLINE_FALLBACK = "The built-in offline model (“tiny-diffusion”) works without a download; choose it in the model list."


@dataclass(frozen=True)
class ModelSpec:
    key: str
    label: str
    kind: str  # "offline", "folder", "file", "hub"
    location: str = ""  # folder or file path; the snapshot folder of a cached hub model

    @property
    def is_offline(self) -> bool:
        return self.kind == "offline"


# -- listing ---------------------------------------------------------------------------------
def _registry_path() -> Path:
    return paths.data_dir() / REGISTRY_FILE


REGISTRY_MAX_BYTES = 1_000_000
_REGISTRY_KINDS = {"folder", "file", "hub"}  # offline models are never written to the registry


def _registry_entry(value: Any, what: str) -> dict[str, str]:
    """One remembered model as plain text fields, or InvalidDataError."""
    record = validate.as_dict(value, what)
    entry = {name: validate.as_path_text(record.get(name, ""), f"{what}: {name}") for name in ("key", "label", "kind", "location")}
    if not entry["key"]:
        raise validate.InvalidDataError(f"{what} has no key.")
    if entry["kind"] not in _REGISTRY_KINDS:
        raise validate.InvalidDataError(f"{what}: kind {entry['kind']!r} is not one of {sorted(_REGISTRY_KINDS)}.")
    return entry


def _read_registry_checked() -> tuple[list[dict[str, str]], list[str]]:
    """The valid remembered models, and one message per thing that had to be dropped."""
    path = _registry_path()
    try:
        values = validate.as_list(validate.read_json_file(path, REGISTRY_MAX_BYTES), f"The model list {path}", 10_000)
    except FileNotFoundError:
        return [], []
    except validate.InvalidDataError as exc:
        return [], [str(exc)]
    entries, problems = [], []
    for index, value in enumerate(values):
        try:
            entries.append(_registry_entry(value, f"Model {index + 1} in {path.name}"))
        except validate.InvalidDataError as exc:
            problems.append(str(exc))
    return entries, problems


def _read_registry() -> list[dict[str, str]]:
    entries, problems = _read_registry_checked()
    for problem in problems:
        log.warning("Ignoring part of the model list: %s", problem)
    return entries


def repair_registry() -> list[str]:
    """Drop what cannot be read from the model list, keeping the original beside it as
    sd_models.json.damaged; returns what was dropped (empty when all was well), to tell the user once."""
    entries, problems = _read_registry_checked()
    if not problems:
        return []
    path = _registry_path()
    for problem in problems:
        log.warning("Dropping from the model list: %s", problem)
    try:
        path.replace(path.with_name(path.name + ".damaged"))
        write_bytes_atomic(path, json.dumps(entries, indent=2).encode("utf-8"))
    except OSError as exc:
        log.warning("Could not repair the model list %s: %s", path, exc)
    return [f"{problem} It was removed from the model list (the old list is kept as {path.name}.damaged)." for problem in problems]


def _remember(spec: ModelSpec) -> None:
    repair_registry()  # keeps a damaged list aside instead of writing over it
    entries = [e for e in _read_registry() if e["key"] != spec.key]
    entries.append(asdict(spec))
    write_bytes_atomic(_registry_path(), json.dumps(entries, indent=2).encode("utf-8"))


def offline_models() -> list[ModelSpec]:
    return [
        ModelSpec(OFFLINE_PREFIX + entry.name, f"{entry.name} (offline, built in)", "offline", entry.location)
        for entry in weights.available_models(OFFLINE_KIND)
    ]


def cached_hub_models() -> list[ModelSpec]:
    """Diffusers repositories already in the Hugging Face cache."""
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    try:
        cache = scan_cache_dir()
    except CacheNotFound:
        return []
    specs = []
    for repo in sorted(cache.repos, key=lambda r: r.repo_id):
        if repo.repo_type != "model":
            continue
        for revision in repo.revisions:
            if any(f.file_name == "model_index.json" and f.file_path.parent == revision.snapshot_path for f in revision.files):
                specs.append(ModelSpec(repo.repo_id, repo.repo_id, "hub", str(revision.snapshot_path)))
                break
    return specs


def installed_models() -> list[ModelSpec]:
    """The offline model(s), then models the user added; cheap (no Hugging Face import)."""
    specs = offline_models()
    for entry in _read_registry():
        spec = ModelSpec(**entry)
        if spec.kind in {"folder", "file"} and not Path(spec.location).exists():
            continue  # moved or deleted since it was added
        specs.append(spec)
    return specs


def readable_cached_hub_models() -> list[ModelSpec]:
    try:
        return cached_hub_models()
    except Exception as exc:  # a strange cache must not hide the other models
        log.warning("Could not read the Hugging Face cache: %s", exc)
        return []


def list_models() -> list[ModelSpec]:
    """Offline model(s) first, then models the user added, then other cached hub models."""
    unique: dict[str, ModelSpec] = {}
    for spec in installed_models() + readable_cached_hub_models():
        unique.setdefault(spec.key, spec)
    return list(unique.values())


def resolve(key: str) -> ModelSpec:
    """The model a key names, with a clear message when it cannot be used."""
    if key.startswith(OFFLINE_PREFIX):
        name = key.removeprefix(OFFLINE_PREFIX)
        entry = weights.find_model(OFFLINE_KIND, name)
        return ModelSpec(key, entry.name, "offline", entry.location)
    path = Path(key).expanduser()
    if path.is_dir():
        if not (path / "model_index.json").is_file():
            raise GenArtError(f"{path} is not a diffusers model folder (it has no model_index.json).")
        return ModelSpec(str(path), path.name, "folder", str(path))
    if path.is_file():
        _check_checkpoint_file(path)
        return ModelSpec(str(path), path.stem, "file", str(path))
    if path.suffix or key.startswith((".", "/", "~")) or key.count("/") != 1:
        raise GenArtError(f"“{key}” is neither a model folder, a .safetensors file nor a Hugging Face model id.")
    snapshot = _cached_snapshot(key)
    if snapshot is None:
        raise GenArtError(
            f"The model {key} has not been downloaded yet. Add it with Add model… "
            f"(or `genart models add {key}`) first."
        )
    return ModelSpec(key, key, "hub", str(snapshot))


def _check_checkpoint_file(path: Path) -> None:
    if path.suffix.lower() in PICKLED_SUFFIXES:
        raise GenArtError(
            f"“{path.name}” is a pickled checkpoint, which can run arbitrary code when opened, so GenArt "
            "Studio does not read it. Use the .safetensors version of this model."
        )
    if path.suffix.lower() != ".safetensors":
        raise GenArtError(f"“{path.name}” is not a .safetensors checkpoint.")


def _cached_snapshot(repo_id: str, marker: str = "model_index.json") -> Path | None:
    """The cached snapshot folder of a repository whose top-level file ``marker`` is cached."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo_id, marker)
    return Path(found).parent if isinstance(found, str) else None


# -- adding and downloading ------------------------------------------------------------------
# done bytes, total bytes, the file being fetched
DownloadProgress = Callable[[int, int, str], None]


def add_model(source: str, on_progress: DownloadProgress | None = None, cancel: CancelToken | None = None) -> ModelSpec:
    """Add a folder, a .safetensors file or a hub id (downloading it); remember it for next time."""
    source = source.strip()
    if not source:
        raise GenArtError("Give a Hugging Face model id (like stabilityai/sd-turbo), a model folder or a .safetensors file.")
    path = Path(source).expanduser()
    if path.exists():
        spec = resolve(str(path.resolve()))
        # Loadable now, not only at the first Generate: headers and configs, not the weights.
        if spec.kind == "file":
            model_files.check_safetensors_file(Path(spec.location))
        else:
            model_files.check_diffusers_folder(Path(spec.location))
    else:
        snapshot = download(source, on_progress, cancel)
        spec = ModelSpec(source, source, "hub", str(snapshot))
    _remember(spec)
    return spec


def offline_mode() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def _no_network_message(repo_id: str, why: str, fallback: str) -> str:
    return f"Could not download {repo_id}: {why}. {fallback}"


def select_files(filenames: list[str]) -> tuple[list[str], str | None]:
    """The files of a diffusers repository worth downloading, and the weights variant they use.

    Configs and tokenizer files, plus one safetensors file per component folder: the fp16 variant
    where there is one (half the download; we compute in bf16/fp16 or upcast anyway). Root-level
    single-file checkpoints and pickled weights are skipped.
    """
    if "model_index.json" not in filenames:
        raise GenArtError("This repository is not a diffusers model (it has no model_index.json).")
    small = [f for f in filenames if f.endswith(_SMALL_FILE_SUFFIXES) and (f.count("/") == 1 or f == "model_index.json")]
    by_folder: dict[str, list[str]] = {}
    for name in filenames:
        if name.count("/") == 1 and name.endswith(".safetensors"):
            by_folder.setdefault(name.split("/")[0], []).append(name)
    if not by_folder:
        raise GenArtError("This repository has no safetensors weights in the diffusers layout; GenArt Studio only reads safetensors.")
    variant = "fp16" if all(any(".fp16." in f for f in files) for files in by_folder.values()) else None
    chosen = []
    for files in by_folder.values():
        wanted = [f for f in files if (".fp16." in f) == (variant == "fp16")]
        chosen += wanted or files
    return small + chosen, variant


def select_model_files(filenames: list[str]) -> list[str]:
    """The files of a single-model diffusers repository (as TAESD's): config.json and safetensors
    weights at the top level. Other weights beside them (original-format, pickled) are skipped."""
    missing = [name for name in _SINGLE_MODEL_FILES if name not in filenames]
    if missing:
        raise GenArtError(f"This repository is not a diffusers model with safetensors weights (it has no {', '.join(missing)}).")
    return list(_SINGLE_MODEL_FILES)


def progress_bar_class(report: Callable[[int], None]):
    """A tqdm class whose updates feed ``report`` (bytes just fetched) instead of a terminal."""
    from tqdm.auto import tqdm

    class _Reporting(tqdm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["file"] = io.StringIO()
            kwargs.pop("disable", None)
            super().__init__(*args, **kwargs)

        def update(self, n: float | None = 1) -> bool | None:
            report(int(n or 0))
            return super().update(n)

    return _Reporting


def download(
    repo_id: str,
    on_progress: DownloadProgress | None = None,
    cancel: CancelToken | None = None,
    single_model: bool = False,
    fallback: str = OFFLINE_FALLBACK,
) -> Path:
    """Fetch a diffusers pipeline into the Hugging Face cache (resumable); returns its snapshot folder.

    ``single_model``: a repository holding one model (config and weights at the top, as TAESD)
    rather than a pipeline. ``fallback`` tells people what works without this download.
    """
    from huggingface_hub import HfApi, hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, RepositoryNotFoundError

    cancel = cancel or CancelToken()
    marker = _SINGLE_MODEL_FILES[-1] if single_model else "model_index.json"
    if offline_mode():
        cached = _cached_snapshot(repo_id, marker)
        if cached is not None:
            return cached
        raise GenArtError(_no_network_message(repo_id, "HF_HUB_OFFLINE is set, so nothing is downloaded", fallback))
    try:
        info = HfApi().model_info(repo_id, files_metadata=True)
    except RepositoryNotFoundError:
        raise GenArtError(f"There is no model called {repo_id} on Hugging Face (or it is private).") from None
    except (HfHubHTTPError, OSError, LocalEntryNotFoundError) as exc:
        raise GenArtError(_no_network_message(repo_id, f"no connection to huggingface.co ({type(exc).__name__})", fallback)) from None
    sizes = {s.rfilename: int(s.size or 0) for s in info.siblings or []}
    files = select_model_files(list(sizes)) if single_model else select_files(list(sizes))[0]
    total = sum(sizes[f] for f in files)
    _check_disk_space(total)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if on_progress is not None:
            on_progress(done, total, current)
        cancel.raise_if_cancelled()  # aborts the transfer; the partial file resumes next time

    bar = progress_bar_class(advance)
    snapshot = None
    for current in files:
        cancel.raise_if_cancelled()
        try:
            local = hf_hub_download(repo_id, current, tqdm_class=bar)
        except (HfHubHTTPError, OSError) as exc:
            raise GenArtError(_no_network_message(repo_id, f"the download of {current} failed ({exc})", fallback)) from None
        if current == marker:
            snapshot = Path(local).parent
    if on_progress is not None:
        on_progress(total, total, "")
    assert snapshot is not None  # the selection always holds the marker file
    return snapshot


def _check_disk_space(needed: int) -> None:
    from huggingface_hub import constants

    cache = Path(constants.HF_HUB_CACHE)
    existing = next(folder for folder in (cache, *cache.parents) if folder.exists())
    free = shutil.disk_usage(existing).free
    if free < needed * 1.05 + 200_000_000:
        raise GenArtError(
            f"Not enough disk space: the model needs {needed / 1e9:.1f} GB, but only {free / 1e9:.1f} GB is free "
            f"in {cache}. Free some space or set HF_HOME to a bigger disk."
        )


# -- loading ---------------------------------------------------------------------------------
def load_pipeline(spec: ModelSpec, dtype: "torch.dtype"):
    """A text-to-image diffusers pipeline (SD 1.x/2.x/XL family) on the CPU in ``dtype``."""
    from diffusers import DiffusionPipeline, StableDiffusionPipeline, StableDiffusionXLPipeline

    try:
        if spec.kind == "file":
            family = StableDiffusionXLPipeline if is_sdxl_checkpoint(Path(spec.location)) else StableDiffusionPipeline
            return family.from_single_file(spec.location, torch_dtype=dtype)
        folder = Path(spec.location)
        variant = _folder_variant(folder)
        return DiffusionPipeline.from_pretrained(
            str(folder), torch_dtype=dtype, use_safetensors=True, variant=variant, local_files_only=True
        )
    except GenArtError:
        raise
    except (OSError, ValueError, KeyError) as exc:
        hint = " Loading a single checkpoint needs its configuration from the internet once." if spec.kind == "file" else ""
        raise GenArtError(f"The model {spec.label} could not be loaded: {exc}.{hint}") from None


def is_sdxl_checkpoint(path: Path) -> bool:
    """Whether a single-file checkpoint is SDXL: only SDXL has a second text encoder
    (conditioner.embedders.1). Reads the safetensors header, not the weights."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as checkpoint:
            return any(key.startswith("conditioner.embedders.1.") for key in checkpoint.keys())
    except Exception as exc:  # safetensors raises its own error type for a damaged header
        raise GenArtError(f"“{path.name}” is not a readable .safetensors checkpoint: {exc}") from None


def _folder_variant(folder: Path) -> str | None:
    """"fp16" when the folder only has fp16-variant weights (as our downloads do)."""
    weights_files = [p.name for p in folder.glob("*/*.safetensors")]
    if weights_files and all(".fp16." in name for name in weights_files):
        return "fp16"
    return None


# -- the fast decoder (TAESD) ----------------------------------------------------------------
# Tiny autoencoders that decode a model's latents several times faster than its own VAE, with
# slightly softer detail. SD 1.x and 2.x share one latent space; SDXL has its own.
FAST_DECODERS = {"sd": "madebyollin/taesd", "sdxl": "madebyollin/taesdxl"}
# A folder holding taesd/ and/or taesdxl/ (each config.json + diffusion_pytorch_model.safetensors),
# used instead of the hub: for machines without a network, and for tests.
FAST_DECODER_DIR_ENV = "GENART_TAESD_DIR"
UNTICK_FAST_DECODER = "untick Fast decoder (or leave out --fast-decoder)"


def fast_decoder_name(family: str) -> str:
    """"taesd" or "taesdxl" for the family "sd" or "sdxl": also its folder under $GENART_TAESD_DIR."""
    return FAST_DECODERS[family].split("/")[1]


def fast_decoder_folder(family: str, on_progress: DownloadProgress | None = None, cancel: CancelToken | None = None) -> Path:
    """The fast decoder for a model family: from $GENART_TAESD_DIR, else the Hugging Face cache,
    else downloaded now (about 10 MB, with progress and cancel like a model)."""
    local = os.environ.get(FAST_DECODER_DIR_ENV, "").strip()
    if local:
        folder = Path(local).expanduser() / fast_decoder_name(family)
        if not all((folder / name).is_file() for name in _SINGLE_MODEL_FILES):
            raise GenArtError(
                f"{folder} (from ${FAST_DECODER_DIR_ENV}) needs {' and '.join(_SINGLE_MODEL_FILES)}, or {UNTICK_FAST_DECODER}."
            )
        return folder
    repo_id = FAST_DECODERS[family]
    # Cached: no network needed (download() would ask the hub for the file list first).
    cached = _cached_snapshot(repo_id, _SINGLE_MODEL_FILES[-1])
    fallback = f"Without it, the model's own VAE still works: {UNTICK_FAST_DECODER}."
    return cached or download(repo_id, on_progress, cancel, single_model=True, fallback=fallback)


def load_fast_decoder(folder: Path, dtype: "torch.dtype"):
    """The tiny autoencoder (diffusers' AutoencoderTiny) in ``folder``, on the CPU in ``dtype``."""
    from diffusers import AutoencoderTiny

    try:
        return AutoencoderTiny.from_pretrained(str(folder), torch_dtype=dtype, use_safetensors=True, local_files_only=True)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        # A downloaded copy is a snapshot of blobs: only deleting the whole repository folder makes
        # the next run fetch fresh files.
        damaged = folder.parents[1] if folder.parent.name == "snapshots" else folder
        raise GenArtError(
            f"The fast decoder in {folder} could not be loaded ({exc}); it may be damaged. Delete {damaged} "
            f"(a download fetches it again), or {UNTICK_FAST_DECODER}."
        ) from None
