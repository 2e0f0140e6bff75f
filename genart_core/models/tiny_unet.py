"""The offline model's network: a small class-conditional UNet (diffusers' UNet2DModel).

32×32 RGB images, one learned embedding per label plus a "no label" embedding that
classifier-free guidance uses as its unconditional branch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class TinyUNetConfig:
    image_size: int = 32  # square images, pixels
    channels: int = 3  # RGB
    # Channels at 32×32, 16×16 and 8×8; about 1.7M parameters in all.
    block_out_channels: tuple[int, ...] = (32, 64, 96)
    layers_per_block: int = 1
    norm_num_groups: int = 16
    # Labels the model knows ("digit 7", "brick", …); index len(labels) means "no label".
    labels: list[str] = field(default_factory=list)

    @property
    def null_label(self) -> int:
        return len(self.labels)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "TinyUNetConfig":
        known = {k: v for k, v in values.items() if k in cls.__dataclass_fields__}
        if "block_out_channels" in known:
            known["block_out_channels"] = tuple(known["block_out_channels"])
        return cls(**known)


def build_unet(config: TinyUNetConfig):
    """An untrained UNet2DModel for ``config``: input/output B×C×S×S, class labels B (long)."""
    from diffusers import UNet2DModel

    levels = len(config.block_out_channels)
    return UNet2DModel(
        sample_size=config.image_size,
        in_channels=config.channels,
        out_channels=config.channels,
        layers_per_block=config.layers_per_block,
        block_out_channels=tuple(config.block_out_channels),
        down_block_types=("DownBlock2D",) * levels,
        up_block_types=("UpBlock2D",) * levels,
        norm_num_groups=config.norm_num_groups,
        num_class_embeds=len(config.labels) + 1,
    )
