"""Upscalers: which are installed, adding community ones (a file or a hub download), loading any of them.

An upscaler key (what UpscaleRequest.model carries) is one of:
  "genart-sr"              a super-resolution model folder of ours (bundled or trained), by name;
                           asked for at another scale than its own, a model of its family (the
                           card's "family") made for that scale stands in: genart-sr-4x for 4×,
  a folder                 such a folder (model.safetensors + card.json of kind "super-resolution"),
  a file                   a community .safetensors/.pth upscaler (see community_upscalers),
  "owner/repo/FILE"        a community upscaler downloaded from the Hugging Face hub.
Community upscalers the user added are remembered in <data dir>/upscalers.json, read back through
``_registry_entry`` (a damaged list loses its bad entries, never the app's start).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from genart_core import paths, validate, weights
from genart_core.api import CancelToken
from genart_core.atomic import write_bytes_atomic
from genart_core.community_upscalers import COMMUNITY_MARGIN, UPSCALER_SUFFIXES, UpscalerError, load_community_network
from genart_core.requests.upscale import DEFAULT_UPSCALER

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

SR_KIND = "super-resolution"
REGISTRY_FILE = "upscalers.json"
REGISTRY_MAX_BYTES = 1_000_000
_REGISTRY_KINDS = {"file", "hub"}


@dataclass(frozen=True)
class UpscalerSpec:
    key: str
    label: str
    kind: str  # "ours" (a folder of ours), "file", "hub"
    location: str  # the folder or the file


@dataclass
class Upscaler:
    """A loaded network: ``forward`` maps B×3×H×W in [0, 1] to B×3×(scale·H)×(scale·W)."""

    name: str
    scale: int
    margin: int  # input pixels of context a tile needs on each cut side (see tiling)
    forward: Callable[["torch.Tensor"], "torch.Tensor"]
    device: "torch.device"  # where forward's input must be


# -- the list of added community upscalers --------------------------------------------------
def _registry_path() -> Path:
    return paths.data_dir() / REGISTRY_FILE


def _registry_entry(value: object, what: str) -> UpscalerSpec:
    record = validate.as_dict(value, what)
    fields = {name: validate.as_path_text(record.get(name, ""), f"{what}: {name}") for name in ("key", "label", "kind", "location")}
    if not fields["key"] or fields["kind"] not in _REGISTRY_KINDS:
        raise validate.InvalidDataError(f"{what} has no key or an unknown kind {fields['kind']!r}.")
    return UpscalerSpec(**fields)


def _read_registry() -> list[UpscalerSpec]:
    path = _registry_path()
    try:
        values = validate.as_list(validate.read_json_file(path, REGISTRY_MAX_BYTES), f"The upscaler list {path}", 10_000)
    except FileNotFoundError:
        return []
    except validate.InvalidDataError as exc:
        log.warning("Ignoring the upscaler list: %s", exc)
        return []
    specs = []
    for index, value in enumerate(values):
        try:
            specs.append(_registry_entry(value, f"Upscaler {index + 1} in {path.name}"))
        except validate.InvalidDataError as exc:
            log.warning("Ignoring part of the upscaler list: %s", exc)
    return specs


def _remember(spec: UpscalerSpec) -> None:
    entries = [asdict(s) for s in _read_registry() if s.key != spec.key] + [asdict(spec)]
    write_bytes_atomic(_registry_path(), json.dumps(entries, indent=2).encode("utf-8"))


# -- listing and resolving ------------------------------------------------------------------
_ours_read: tuple[tuple, list[weights.ModelEntry]] | None = None  # (folder stamp, models) of the last read


def _folder_stamp() -> tuple:
    """Each model folder with its and its card's modification times: a model added, removed,
    retrained or edited changes it."""
    stamp = []
    for root in (paths.resources_dir() / "models", paths.models_dir()):
        try:
            folders = sorted((entry.path for entry in os.scandir(root) if entry.is_dir()))
        except OSError:
            continue
        for folder in folders:
            try:
                card = os.stat(os.path.join(folder, weights.CARD_FILE)).st_mtime_ns
            except OSError:
                card = 0
            stamp.append((folder, os.stat(folder).st_mtime_ns, card))
    return tuple(stamp)


def _our_models() -> list[weights.ModelEntry]:
    """Our super-resolution models, read again only when a model folder changed: the Generate
    dock enlarges each slider position through resolve(), and reading every model card each time
    cost more than the network itself."""
    global _ours_read
    stamp = _folder_stamp()
    if _ours_read is None or _ours_read[0] != stamp:
        _ours_read = (stamp, weights.available_models(SR_KIND))
    return list(_ours_read[1])


def card_scale(card: dict) -> int | None:
    """How many times a model of ours enlarges, from its card (None when the card does not say;
    loading such a model then fails with the card's message)."""
    config = card.get("config")
    scale = config.get("scale") if isinstance(config, dict) else None
    return scale if isinstance(scale, int) and not isinstance(scale, bool) else None


def _family(entry: weights.ModelEntry) -> str:
    family = entry.card.get("family")
    return family if isinstance(family, str) and family else entry.name


def _label(entry: weights.ModelEntry, ours: list[weights.ModelEntry]) -> str:
    """e.g. "genart-sr (bundled, 2×; 4× by genart-sr-4x)" or "digit-sr (bundled, 4×, for 28 px digits)"."""
    scale = card_scale(entry.card)
    parts = [entry.status, f"{scale}×" if scale else "scale unknown"]
    if entry.card.get("pictures") == "digits":
        parts.append("for 28 px digits")
    stand_ins = [f"{card_scale(other.card)}× by {other.name}" for other in ours if other.name != entry.name and _family(other) == _family(entry)]
    return f"{entry.name} ({', '.join(parts)}{'; ' + ', '.join(stand_ins) if stand_ins else ''})"


def list_upscalers() -> list[UpscalerSpec]:
    """Ours first: genart-sr's family, the others for any picture, those for digits only, each
    group bundled before trained (a list's first entry is what a dialog offers first); then the
    community upscalers the user added whose file is still there."""
    entries = _our_models()
    entries.sort(key=lambda entry: (entry.card.get("pictures") == "digits", _family(entry) != DEFAULT_UPSCALER))
    ours = [UpscalerSpec(entry.name, _label(entry, entries), "ours", entry.location) for entry in entries]
    added = [spec for spec in _read_registry() if Path(spec.location).is_file()]
    return ours + added


def _for_scale(entry: weights.ModelEntry, entries: list[weights.ModelEntry], scale: int | None) -> UpscalerSpec:
    """``entry``, or the first model of its family that enlarges ``scale``× when it does not."""
    if scale is not None and card_scale(entry.card) != scale:
        family = _family(entry)
        entry = next((e for e in entries if _family(e) == family and card_scale(e.card) == scale), entry)
    return UpscalerSpec(entry.name, entry.name, "ours", entry.location)


def resolve(key: str, scale: int | None = None) -> UpscalerSpec:
    """The upscaler ``key`` names, or an UpscalerError saying what is available. With ``scale``, a
    model of ours named by its name gives way to one of its family made for that scale, if
    installed (a folder or a community file is always itself: it keeps its own scale)."""
    key = key.strip() or DEFAULT_UPSCALER
    for spec in _read_registry():
        if spec.key == key and Path(spec.location).is_file():
            return spec
    path = Path(key).expanduser()
    if path.is_dir():
        entry = weights.find_model(SR_KIND, str(path))
        return UpscalerSpec(str(path), entry.name, "ours", entry.location)
    if path.is_file() or path.suffix.lower() in UPSCALER_SUFFIXES:
        if not path.is_file():
            raise UpscalerError(f"The upscaler file {path} does not exist.")
        return UpscalerSpec(str(path), path.stem, "file", str(path))
    entries = _our_models()
    for entry in entries:
        if entry.name == key:
            return _for_scale(entry, entries, scale)
    known = ", ".join(spec.key for spec in list_upscalers()) or "none"
    raise UpscalerError(f"No upscaler called “{key}”. Installed: {known}. Add one with `genart models add --upscaler FILE`.")


# -- loading --------------------------------------------------------------------------------
def load(spec: UpscalerSpec) -> Upscaler:
    """The network on the compute device (a GPU where there is one; GENART_DEVICE overrides)."""
    from genart_core.device import choose_device

    device = choose_device()
    if spec.kind == "ours":
        name, scale, margin, network = _load_ours(spec)
        return Upscaler(name, scale, margin, network.to(device), device)
    descriptor = load_community_network(Path(spec.location))
    return Upscaler(spec.label, descriptor.scale, COMMUNITY_MARGIN, descriptor.to(device), device)


def _load_ours(spec: UpscalerSpec):
    from genart_core.models.sr_net import SRConfig, SRNet

    card = weights.read_card(Path(spec.location))
    try:
        config = SRConfig.from_dict(card["config"])
    except validate.InvalidDataError as exc:
        raise UpscalerError(f"The card of the upscaler “{spec.label}” has no usable config ({exc}).") from None
    state = weights.load_fp32_state_dict(Path(spec.location) / weights.WEIGHTS_FILE)
    network = weights.load_into(SRNet(config), state, f"the upscaler “{spec.label}”")
    return card["name"], config.scale, config.receptive_radius, network


# -- adding ---------------------------------------------------------------------------------
def add_upscaler(source: str, on_progress: Callable[[int, int, str], None] | None = None, cancel: CancelToken | None = None) -> UpscalerSpec:
    """Add a community upscaler file, or download one ("owner/repo/FILE") from the hub; it is
    loaded once now, so a file that is not an upscaler is refused when it is added."""
    source = source.strip()
    path = Path(source).expanduser()
    if path.exists():
        spec = UpscalerSpec(str(path.resolve()), path.stem, "file", str(path.resolve()))
    else:
        parts = source.split("/")
        if len(parts) < 3 or Path(source).suffix.lower() not in UPSCALER_SUFFIXES:
            raise UpscalerError(
                f"“{source}” is neither an upscaler file nor a hub file such as owner/repo/4x-Model.safetensors."
            )
        location = _download_file("/".join(parts[:2]), "/".join(parts[2:]), on_progress, cancel)
        spec = UpscalerSpec(source, Path(source).stem, "hub", str(location))
    load(spec)  # refuse what is not an upscaler now, not at the first Upscale
    _remember(spec)
    return spec


def _download_file(repo_id: str, filename: str, on_progress, cancel: CancelToken | None) -> Path:
    """One file from the hub into the Hugging Face cache (resumable, with progress and Cancel)."""
    from huggingface_hub import hf_hub_download, try_to_load_from_cache
    from huggingface_hub.errors import HfHubHTTPError

    from genart_core import sd_models

    cached = try_to_load_from_cache(repo_id, filename)
    if isinstance(cached, str):
        return Path(cached)
    if sd_models.offline_mode():
        raise UpscalerError(f"Could not download {repo_id}/{filename}: HF_HUB_OFFLINE is set. The bundled genart-sr works offline.")
    cancel = cancel or CancelToken()
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if on_progress is not None:
            on_progress(done, 0, filename)
        cancel.raise_if_cancelled()

    try:
        return Path(hf_hub_download(repo_id, filename, tqdm_class=sd_models.progress_bar_class(advance)))
    except (HfHubHTTPError, OSError) as exc:
        raise UpscalerError(f"Could not download {repo_id}/{filename} ({exc}). The bundled genart-sr works offline.") from None
