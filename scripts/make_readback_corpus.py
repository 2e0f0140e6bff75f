"""Write tests/corpus/readback/: damaged and odd files of every kind the app reads back that is not an image.

    python scripts/make_readback_corpus.py [OUT_FOLDER]

Folders: history/ (one history entry's metadata each), registry/ (a whole sd_models.json each),
cards/ (a model card.json each), settings/ (a QSettings key and the value stored under it, as JSON).
A file's name says what must become of it: ``ok_*`` is accepted as it is, ``fix_*`` is accepted
with the bad parts dropped or reset (and logged), ``bad_*`` is refused with a clear message.
tests/readback_corpus.py runs the app's readers over them.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "tests" / "corpus" / "readback"
DEEP = 100_000  # nesting levels: far past Python's recursion limit


def _history_entry(**changes) -> dict:
    entry = {"id": "20260101-120000-abcdef12", "name": "Model A", "created": 1767268800.0, "width": 64, "height": 48,
             "info": {"prompt": "a lighthouse", "seed": 3, "steps": 20, "extra": {"kind": "diffusion"}, "request": {"steps": 20}}}
    entry.update(changes)
    return entry


def history() -> dict[str, bytes | object]:
    info = _history_entry()["info"]
    return {
        "ok_entry.json": _history_entry(),
        "ok_no_info.json": _history_entry(info=None),
        "fix_info_wrong_types.json": _history_entry(info={**info, "steps": "many", "prompt": 5, "extra": "x", "seed": 1e300}),
        "bad_info_deep_request.json": _history_entry(info={**info, "request": _nested(40)}),
        "bad_list.json": [1, 2, 3],
        "bad_number.json": 5,
        "bad_id_number.json": _history_entry(id=5),
        "bad_id_path.json": _history_entry(id="../../outside"),
        "bad_name_list.json": _history_entry(name=["a"]),
        "bad_created_1e300.json": _history_entry(created=1e300),
        "bad_created_nan.json": json.dumps(_history_entry()).replace("1767268800.0", "NaN").encode(),
        "bad_created_text.json": _history_entry(created="yesterday"),
        "bad_width_negative.json": _history_entry(width=-4),
        "bad_width_huge_int.json": json.dumps(_history_entry()).replace('"width": 64', '"width": ' + "9" * 5000).encode(),
        "bad_info_list.json": _history_entry(info=[1]),
        "bad_deep_nesting.json": b"[" * DEEP + b"]" * DEEP,
        "bad_invalid_utf8.json": b'{"id": "\xff\xfe", "name": "x"}',
        "bad_truncated.json": json.dumps(_history_entry()).encode()[:40],
        "bad_empty.json": b"",
        "bad_huge.json": b'{"id": "x", "pad": "' + b"a" * 1_100_000 + b'"}',
    }


def registry() -> dict[str, bytes | object]:
    hub = {"key": "stabilityai/sd-turbo", "label": "stabilityai/sd-turbo", "kind": "hub", "location": "/nowhere"}
    return {
        "ok_one_hub_model.json": [hub],
        "ok_empty.json": [],
        "fix_holds_5.json": [5, hub],
        "fix_key_number.json": [{**hub, "key": 5}, hub],
        "fix_kind_list.json": [{**hub, "kind": ["hub"]}, hub],
        "fix_unknown_kind.json": [{**hub, "kind": "offline"}, hub],
        "fix_nul_in_location.json": [{**hub, "kind": "folder", "location": "/a\0b"}, hub],
        "bad_just_5.json": 5,
        "bad_object.json": {"models": [hub]},
        "bad_deep_nesting.json": b"[" * DEEP + b"]" * DEEP,
        "bad_invalid_utf8.json": b'[{"key": "\xff"}]',
        "bad_nan.json": b'[{"key": NaN}]',
        "bad_huge.json": b"[" + b" " * 1_100_000 + b"]",
    }


def _gan_card(**config) -> dict:
    return {"kind": "gan", "name": "corpus-gan", "config": {"image_size": 28, "channels": 1, "latent_dim": 100, "width": 128, **config}}


def cards() -> dict[str, bytes | object]:
    return {
        "ok_gan.json": _gan_card(),
        "ok_vae.json": {"kind": "vae", "name": "corpus-vae", "config": {"image_size": 28, "latent_dim": 16, "width": 32, "hidden": 256}},
        "ok_tiny_diffusion.json": {"kind": "tiny-diffusion", "name": "corpus-unet", "config": {"block_out_channels": [32, 64, 96], "labels": ["digit 1"]}},
        "ok_no_name.json": {"kind": "gan", "config": _gan_card()["config"]},
        "bad_kind_list.json": {"kind": ["gan"], "name": "x"},
        "bad_kind_missing.json": {"name": "x"},
        "bad_name_number.json": {"kind": "gan", "name": 5},
        "bad_config_big.json": {"kind": "gan", "name": "x", "config": "big"},
        "bad_width_negative.json": _gan_card(width=-4),
        "bad_width_2e6.json": _gan_card(width=2e6),
        "bad_width_text.json": _gan_card(width="128"),
        "bad_gan_huge.json": _gan_card(width=16_384, latent_dim=4096, image_size=64),
        "bad_vae_beta_huge.json": {"kind": "vae", "config": {"beta": 1e300}},
        "bad_unet_huge_channels.json": {"kind": "tiny-diffusion", "config": {"block_out_channels": [8192, 8192, 8192, 8192]}},
        "bad_unet_channels_text.json": {"kind": "tiny-diffusion", "config": {"block_out_channels": "big"}},
        "bad_not_object.json": [{"kind": "gan"}],
        "bad_deep_nesting.json": b'{"kind": "gan", "config": ' + b"[" * DEEP + b"]" * DEEP + b"}",
        "bad_invalid_utf8.json": b'{"kind": "\xff"}',
    }


def settings() -> dict[str, bytes | object]:
    choices = {"model_key": "offline:tiny-diffusion", "prompt": "a lighthouse", "negative_prompt": "", "seed": 3, "steps": 20,
               "guidance": 7.5, "width": 512, "height": 512, "count": 1, "scheduler": "euler", "strength": 0.6, "fast_decoder": False}

    def stored(key: str, value: object) -> dict:
        return {"key": key, "value": value}

    raw = json.dumps(choices)
    return {
        "ok_prompt_choices.json": stored("prompt/choices", raw),
        "fix_steps_1e11.json": stored("prompt/choices", raw.replace('"steps": 20', '"steps": 1e11')),
        "fix_strength_nan.json": stored("prompt/choices", raw.replace('"strength": 0.6', '"strength": NaN')),
        "fix_strength_infinity.json": stored("prompt/choices", raw.replace('"strength": 0.6', '"strength": -Infinity')),
        "fix_seed_text.json": stored("prompt/choices", raw.replace('"seed": 3', '"seed": "3"')),
        "fix_prompt_number.json": stored("prompt/choices", raw.replace('"a lighthouse"', "5")),
        "fix_width_list.json": stored("prompt/choices", raw.replace('"width": 512', '"width": [512]')),
        "bad_prompt_choices_list.json": stored("prompt/choices", "[1, 2]"),
        "bad_prompt_choices_not_json.json": stored("prompt/choices", "{steps: 20"),
        "bad_prompt_choices_deep.json": stored("prompt/choices", "[" * DEEP + "]" * DEEP),
        "bad_prompt_10mb.json": stored("prompt/choices", json.dumps({**choices, "prompt": "a" * 2_000_000})),
        "ok_recent_files.json": stored("recent/files", ["/home/someone/a.ora", "/home/someone/b.png"]),
        "fix_recent_files_mixed.json": stored("recent/files", ["/home/someone/a.ora", "/a\0b", "/home/someone/a.ora"]),
        "ok_recent_files_too_many.json": stored("recent/files", [f"/home/someone/{n}.png" for n in range(500)]),
    }


def _nested(levels: int) -> object:
    value: object = "deep"
    for _ in range(levels):
        value = {"x": value}
    return value


def _encode(content: bytes | object) -> bytes:
    return content if isinstance(content, bytes) else json.dumps(content, indent=1).encode("utf-8")


def write_corpus(out: Path = DEFAULT_OUT) -> list[Path]:
    """(Re)write every corpus file under ``out``; returns their paths."""
    written = []
    for kind, files in (("history", history()), ("registry", registry()), ("cards", cards()), ("settings", settings())):
        folder = out / kind
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for name, content in files.items():
            path = folder / name
            path.write_bytes(_encode(content))
            written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    paths = write_corpus(target)
    sys.stdout.write(f"Wrote {len(paths)} files under {target} ({sum(p.stat().st_size for p in paths) / 1e6:.1f} MB).\n")
