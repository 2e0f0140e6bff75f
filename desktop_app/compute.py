"""Where the app's jobs run: this computer (the local Engine) or a GenArt server (RemoteEngine).

The choice is kept in the settings and validated when read back: a damaged or half-written
setting starts the app on "This computer", with a log line. The server's token is kept in the
settings file (QSettings, readable by the user's own account only as far as that file is); the
app does not use an OS keyring.

Imports nothing heavy: ``make_engine`` imports torch (local) or the HTTP client (server) when the
worker thread calls it, after the window is on screen.
"""

from __future__ import annotations

import logging
import urllib.parse
from dataclasses import dataclass
from typing import Any

from desktop_app import settings
from genart_core import validate
from genart_core.api import GenArtError
from genart_core.weights import ModelEntry

log = logging.getLogger(__name__)

THIS_COMPUTER = "local"
SERVER = "server"
_MAX_URL = 2_000
_MAX_TOKEN = 1_000


@dataclass(frozen=True)
class ComputeChoice:
    """``where`` is THIS_COMPUTER or SERVER; the server's address and token are kept either way,
    so switching back to the server does not ask for them again."""

    where: str = THIS_COMPUTER
    server_url: str = ""
    token: str = ""

    @property
    def on_server(self) -> bool:
        return self.where == SERVER

    def locally(self) -> "ComputeChoice":
        return ComputeChoice(THIS_COMPUTER, self.server_url, self.token)

    def describe(self) -> str:
        """What the status bar says: "Compute: this computer" or "Compute: server gpu-box:8765"."""
        if not self.on_server:
            return "Compute: this computer"
        return f"Compute: server {urllib.parse.urlsplit(self.server_url).netloc}"


def server_address(text: str) -> str:
    """``text`` as a server address ``http(s)://HOST[:PORT][/PATH]``, or GenArtError saying what is wrong."""
    text = text.strip()
    if not text:
        raise GenArtError("Enter the server's address, e.g. http://gpu-box:8765.")
    parts = urllib.parse.urlsplit(text if "://" in text else f"http://{text}")
    try:
        port = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        port = -1
    if parts.scheme not in ("http", "https") or not parts.hostname or port == -1 or parts.query or parts.fragment:
        raise GenArtError(f"“{text[:100]}” is not a server address; use http://HOST:PORT, e.g. http://gpu-box:8765.")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def stored_choice() -> ComputeChoice:
    """The choice kept in the settings; "This computer" (with a log line) when it cannot be read."""
    store = settings.settings()
    try:
        where = validate.as_str(store.value("compute/where", THIS_COMPUTER), "The remembered compute choice", 20)
        if where not in (THIS_COMPUTER, SERVER):
            raise validate.InvalidDataError(f"The remembered compute choice {where!r} is neither {THIS_COMPUTER!r} nor {SERVER!r}.")
        url = validate.as_str(store.value("compute/server_url", ""), "The remembered server address", _MAX_URL)
        token = validate.as_str(store.value("compute/token", ""), "The remembered server token", _MAX_TOKEN)
        if url:
            url = server_address(url)
        if where == SERVER and not (url and token):
            raise GenArtError("The remembered server has no address or no token.")
    except GenArtError as exc:
        log.warning("%s Jobs run on this computer.", exc)
        return ComputeChoice()
    return ComputeChoice(where, url, token)


def remember_choice(choice: ComputeChoice) -> None:
    store = settings.settings()
    store.setValue("compute/where", choice.where)
    store.setValue("compute/server_url", choice.server_url)
    store.setValue("compute/token", choice.token)


def server_client(choice: ComputeChoice, timeout: float = 30.0):
    """The RemoteEngine for ``choice``'s server."""
    from genart_core.remote_engine import RemoteEngine

    return RemoteEngine(choice.server_url, choice.token, timeout=timeout)


def make_engine(choice: ComputeChoice) -> tuple[Any, str]:
    """(an engine offering run(request, on_progress, cancel), a one-line "ready" message).
    Local: the core Engine, with torch imported and warmed up (seconds). Server: a RemoteEngine;
    nothing is imported or contacted until the first job."""
    if choice.on_server:
        engine = server_client(choice)
        return engine, f"Ready — jobs run on the server {urllib.parse.urlsplit(engine.url).netloc}"
    from genart_core import device
    from genart_core.engine import Engine, warm_up

    device.configure_threads()
    warm_up()
    info = device.describe()
    return Engine(), f"Ready — {info['device']}, {info['fast dtype']}"


def describe_server(info: Any) -> str:
    """A few lines for a person from the server's /v1/info answer: version, device, models."""
    if not isinstance(info, dict):
        return "The server answered, but not with a description of itself."
    device = info.get("device") if isinstance(info.get("device"), dict) else {}
    where = device.get("gpu") or device.get("device") or "unknown device"
    lines = [f"GenArt server {info.get('version', '?')} on {where} (torch {device.get('torch', '?')}, {device.get('fast dtype', '?')})"]
    if info.get("busy"):
        lines.append("Every replica is busy with a job right now.")
    diffusion = [str(m.get("label") or m.get("key")) for m in server_models(info)]
    lines.append("Diffusion models: " + (", ".join(diffusion) if diffusion else "none"))
    generative = [f"{m.get('kind').upper()} {m.get('name')}" for m in info.get("models", [])
                  if isinstance(m, dict) and m.get("kind") in ("gan", "vae")]
    if generative:
        lines.append("GAN/VAE models: " + ", ".join(generative[:20]) + (" …" if len(generative) > 20 else ""))
    return "\n".join(lines)


def server_gan_vae_models(info: Any) -> list[ModelEntry]:
    """The GAN and VAE models listed in the server's /v1/info answer (checked: it came over the
    network). A request names them by name, which the server finds among its own models."""
    models = info.get("models") if isinstance(info, dict) else None
    listed = []
    for model in models if isinstance(models, list) else []:
        if not isinstance(model, dict) or model.get("kind") not in ("gan", "vae"):
            continue
        name, status = model.get("name"), model.get("status")
        if isinstance(name, str) and 0 < len(name) <= 200:
            where = f"on the server, {status[:40]}" if isinstance(status, str) and status else "on the server"
            listed.append(ModelEntry(model["kind"], name, where, name))
    return listed


def server_models(info: Any) -> list[dict[str, str]]:
    """The diffusion models listed in the server's /v1/info answer, as {"key", "label"} (checked:
    the answer came over the network)."""
    models = info.get("diffusion_models") if isinstance(info, dict) else None
    listed = []
    for model in models if isinstance(models, list) else []:
        if not isinstance(model, dict):
            continue
        key, label = model.get("key"), model.get("label")
        if isinstance(key, str) and 0 < len(key) <= 4_096:
            listed.append({"key": key, "label": label[:200] if isinstance(label, str) and label else key})
    return listed
