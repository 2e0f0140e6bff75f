"""The offline model's network: a small class-conditional UNet (diffusers' UNet2DModel).

32×32 RGB images, one learned embedding per label plus a "no label" embedding that
classifier-free guidance uses as its unconditional branch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from genart_core.models.config_bounds import check_parameter_budget, read_fields
from genart_core.validate import InvalidDataError, as_int, as_list, as_str


def _channel_list(value: Any, what: str) -> tuple[int, ...]:
    levels = as_list(value, what, max_items=6)
    if not levels:
        raise InvalidDataError(f"{what} is empty; the UNet needs at least one level.")
    return tuple(as_int(channels, f"{what}[{index}]", 1, 8192) for index, channels in enumerate(levels))


def _labels(value: Any, what: str) -> list[str]:
    return [as_str(label, f"{what}[{index}]", 200) for index, label in enumerate(as_list(value, what, max_items=100_000))]


_FIELD_READERS = {
    "image_size": lambda value, what: as_int(value, what, 8, 1024),
    "channels": lambda value, what: as_int(value, what, 1, 4),
    "block_out_channels": _channel_list,
    "layers_per_block": lambda value, what: as_int(value, what, 1, 8),
    "norm_num_groups": lambda value, what: as_int(value, what, 1, 256),
    "labels": _labels,
}


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

    def __post_init__(self) -> None:
        # diffusers' group norms need every level's channels to split into equal groups.
        uneven = [c for c in self.block_out_channels if c % self.norm_num_groups]
        if uneven:
            raise InvalidDataError(f"The UNet config's channels {uneven} do not divide into {self.norm_num_groups} norm groups.")
        check_parameter_budget(self.parameter_estimate(), "This UNet config")

    def parameter_estimate(self) -> int:
        """A generous count of the UNet's weights: two 3×3 convolutions per ResNet block, each
        level's blocks going down and (one more) coming up, with the skip inputs counted at the
        wider side; plus the time and label embeddings."""
        widest = max(self.block_out_channels)
        resnet_blocks = sum(2 * self.layers_per_block + 1 for _ in self.block_out_channels)
        convolutions = sum(2 * 9 * 2 * c * c for c in self.block_out_channels) * resnet_blocks
        embeddings = (len(self.labels) + 1) * 4 * self.block_out_channels[0] + 2 * (4 * self.block_out_channels[0]) ** 2
        return convolutions + embeddings + 9 * widest * widest

    @property
    def null_label(self) -> int:
        return len(self.labels)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any], what: str = "The UNet config") -> "TinyUNetConfig":
        """A config from a card: wrong types, out-of-range values and oversized networks raise InvalidDataError."""
        return cls(**read_fields(values, _FIELD_READERS, what))


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
