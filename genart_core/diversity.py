"""Mode-collapse signals for generated samples.

``diversity`` is the mean pairwise distance between samples divided by the same figure for
training images: about 1 when samples vary as much as the data, near 0 when a GAN has
collapsed onto a few outputs. Where the data has labels, ``coverage`` says how many classes
the samples reach (each sample takes the label of its nearest training image).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class DiversityReport:
    diversity: float  # mean pairwise distance of samples / that of the data
    coverage: float | None  # fraction of the data's classes that the samples reach
    classes: int | None  # number of distinct classes seen among the samples

    def to_dict(self) -> dict:
        values = {"diversity": round(self.diversity, 4)}
        if self.coverage is not None:
            values |= {"class_coverage": round(self.coverage, 4), "classes_seen": self.classes}
        return values


def mean_pairwise_distance(images: torch.Tensor) -> float:
    """Mean Euclidean distance between all pairs of B×… images (flattened, fp32)."""
    flat = images.reshape(images.shape[0], -1).float()
    if flat.shape[0] < 2:
        return 0.0
    distances = torch.cdist(flat, flat)
    count = flat.shape[0]
    return float(distances.sum() / (count * (count - 1)))


def measure(samples: torch.Tensor, data: torch.Tensor, labels: torch.Tensor | None = None) -> DiversityReport:
    """``samples`` and ``data``: B×C×H×W on the same scale (e.g. [0, 1]); ``labels``: the data's classes."""
    reference = mean_pairwise_distance(data) or 1.0
    ratio = mean_pairwise_distance(samples) / reference
    if labels is None:
        return DiversityReport(ratio, None, None)
    flat_samples = samples.reshape(samples.shape[0], -1).float()
    flat_data = data.reshape(data.shape[0], -1).float()
    nearest = torch.cdist(flat_samples, flat_data).argmin(dim=1)
    seen = int(torch.unique(labels[nearest]).numel())
    total = int(torch.unique(labels).numel())
    return DiversityReport(ratio, seen / total, seen)
