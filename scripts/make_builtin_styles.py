"""Generate the built-in style swatches in resources/styles/ procedurally (no images from elsewhere).

Each style is a 512×512 picture with a strong texture and palette, so style transfer gives a
distinct look: mosaic tiles, sumi ink, stained glass, impasto brush strokes, pointillist dots,
and a cubist facet pattern. Deterministic (fixed seeds): rerunning rewrites the same files.

    python scripts/make_builtin_styles.py [--out resources/styles]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SIZE = 512


def _voronoi_labels(points: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Nearest and second-nearest seed distance per pixel (for cells and their borders)."""
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    best = np.full((size, size), np.inf, np.float32)
    second = np.full((size, size), np.inf, np.float32)
    label = np.zeros((size, size), np.int32)
    for index, (px, py) in enumerate(points):
        d = np.hypot(xs - px, ys - py)
        closer = d < best
        second = np.where(closer, best, np.minimum(second, d))
        label = np.where(closer, index, label)
        best = np.where(closer, d, best)
    return label, second - best


def mosaic(rng: np.random.Generator) -> Image.Image:
    """Small square-ish tesserae in terracotta, ochre and lapis, with pale grout."""
    palette = np.array([[176, 74, 42], [214, 160, 64], [38, 68, 140], [232, 214, 170], [92, 120, 70], [150, 40, 50]], np.float32)
    image = np.full((SIZE, SIZE, 3), 215, np.float32)
    tile = 14
    ys, xs = np.mgrid[0:SIZE, 0:SIZE]
    # Colour follows broad concentric bands so the tiles form a pattern, as in a real mosaic.
    band = ((np.hypot(xs - 180, ys - 300) / 38).astype(int) + (xs // 120)) % len(palette)
    for top in range(0, SIZE, tile):
        offset = rng.integers(0, tile)
        for left in range(-offset, SIZE, tile):
            y0, x0 = top + 2, max(0, left + 2)
            y1, x1 = min(SIZE, top + tile - 1), min(SIZE, left + tile - 1)
            if x1 <= x0:
                continue
            colour = palette[band[min(SIZE - 1, y0), x0]] * rng.uniform(0.8, 1.15) + rng.normal(0, 12, 3)
            image[y0:y1, x0:x1] = colour
    image += rng.normal(0, 6, image.shape)
    return Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))


def ink(rng: np.random.Generator) -> Image.Image:
    """Sumi-e: black calligraphic strokes and grey washes on warm rice paper."""
    paper = np.full((SIZE, SIZE, 3), (238, 228, 205), np.float32) + rng.normal(0, 5, (SIZE, SIZE, 1))
    layer = Image.new("L", (SIZE, SIZE), 0)
    draw = ImageDraw.Draw(layer)
    for _ in range(70):
        x, y = rng.uniform(0, SIZE, 2)
        angle = rng.uniform(0, 2 * math.pi)
        width = rng.uniform(4, 22)
        darkness = rng.choice([255, 200, 120, 70])
        for _ in range(int(rng.integers(15, 45))):
            angle += rng.normal(0, 0.18)
            nx, ny = x + 6 * math.cos(angle), y + 6 * math.sin(angle)
            width = max(1.0, width * rng.uniform(0.9, 1.05))
            draw.line([(x, y), (nx, ny)], fill=int(darkness), width=int(width))
            x, y = nx, ny
    wash = np.asarray(layer.filter(ImageFilter.GaussianBlur(1.2)), np.float32) / 255.0
    bleed = np.asarray(layer.filter(ImageFilter.GaussianBlur(8)), np.float32) / 255.0 * 0.35
    amount = np.clip(wash + bleed, 0, 1)[..., None]
    image = paper * (1 - amount) + np.array([18, 16, 20], np.float32) * amount
    return Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))


def stained_glass(rng: np.random.Generator) -> Image.Image:
    """Jewel-coloured glass cells with thick black leading and light falling through."""
    points = rng.uniform(0, SIZE, (70, 2))
    label, edge = _voronoi_labels(points, SIZE)
    palette = np.array([[200, 20, 40], [20, 60, 190], [240, 180, 20], [20, 140, 70], [120, 30, 150], [230, 100, 20], [30, 150, 200]], np.float32)
    colours = palette[rng.integers(0, len(palette), len(points))] * rng.uniform(0.75, 1.1, (len(points), 1))
    image = colours[label]
    ys, xs = np.mgrid[0:SIZE, 0:SIZE]
    light = 0.75 + 0.45 * np.exp(-((xs - 300) ** 2 + (ys - 150) ** 2) / (2 * 170.0**2))
    image = image * light[..., None] * (1 + rng.normal(0, 0.06, (SIZE, SIZE, 1)))
    lead = edge < 4.5
    image[lead] = (22, 20, 18)
    return Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))


def _flow_angle(x: float, y: float) -> float:
    # Swirling flow field: strokes curl around a few centres, like a Post-Impressionist sky.
    return math.sin(x / 70.0) * 1.6 + math.cos(y / 55.0) * 1.3 + math.atan2(y - 200, x - 260) * 0.7


def brush_strokes(rng: np.random.Generator) -> Image.Image:
    """Impasto: thick curved strokes of blue, cobalt, yellow and white following a swirling flow."""
    canvas = Image.new("RGB", (SIZE, SIZE), (30, 50, 110))
    draw = ImageDraw.Draw(canvas)
    palette = [(25, 45, 120), (50, 90, 170), (90, 140, 210), (235, 205, 60), (245, 240, 210), (20, 30, 60), (120, 170, 200)]
    for _ in range(2600):
        x, y = rng.uniform(-20, SIZE + 20, 2)
        colour = palette[int(rng.integers(0, len(palette)))]
        shade = rng.uniform(0.8, 1.15)
        colour = tuple(int(min(255, c * shade)) for c in colour)
        width = int(rng.integers(4, 9))
        points = [(x, y)]
        for _ in range(int(rng.integers(4, 9))):
            angle = _flow_angle(x, y)
            x, y = x + 5 * math.cos(angle), y + 5 * math.sin(angle)
            points.append((x, y))
        draw.line(points, fill=colour, width=width, joint="curve")
        # A highlight on each stroke's edge gives the raised paint its relief.
        highlight = tuple(min(255, c + 50) for c in colour)
        draw.line([(px + 1, py - 1) for px, py in points], fill=highlight, width=1)
    return canvas.filter(ImageFilter.SMOOTH)


def pointillist(rng: np.random.Generator) -> Image.Image:
    """Seurat-like dots of pure colour, placed densely over a sunlit scene of broad colour fields."""
    ys, xs = np.mgrid[0:SIZE, 0:SIZE]
    field = np.zeros((SIZE, SIZE, 3), np.float32)
    sky = ys < 200 + 30 * np.sin(xs / 60)
    field[sky] = (120, 170, 230)
    field[~sky] = (90, 160, 60)
    water = (ys > 330) & (ys < 420)
    field[water] = (60, 110, 190)
    sun = np.hypot(xs - 390, ys - 90) < 55
    field[sun] = (250, 210, 80)
    canvas = Image.new("RGB", (SIZE, SIZE), (245, 238, 220))
    draw = ImageDraw.Draw(canvas)
    complements = np.array([[255, 120, 40], [230, 60, 160], [250, 230, 90], [40, 90, 220], [255, 255, 255]], np.float32)
    for _ in range(16000):
        x, y = int(rng.integers(0, SIZE)), int(rng.integers(0, SIZE))
        base = field[y, x]
        # Divisionism: most dots are the local colour, some its complement or a light tint.
        if rng.random() < 0.3:
            base = 0.5 * base + 0.5 * complements[int(rng.integers(0, len(complements)))]
        colour = tuple(int(v) for v in np.clip(base + rng.normal(0, 25, 3), 0, 255))
        radius = rng.uniform(2.0, 3.6)
        draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=colour)
    return canvas


def cubist(rng: np.random.Generator) -> Image.Image:
    """Overlapping angular facets in earthy ochres and greys with dark contour lines."""
    canvas = Image.new("RGB", (SIZE, SIZE), (150, 120, 80))
    draw = ImageDraw.Draw(canvas, "RGBA")
    palette = [(190, 150, 80), (120, 90, 60), (80, 80, 75), (210, 190, 140), (60, 50, 40), (160, 110, 60), (100, 120, 110)]
    for _ in range(140):
        cx, cy = rng.uniform(0, SIZE, 2)
        count = int(rng.integers(3, 6))
        radius = rng.uniform(30, 120)
        angles = np.sort(rng.uniform(0, 2 * math.pi, count))
        polygon = [(cx + radius * math.cos(a), cy + radius * math.sin(a)) for a in angles]
        colour = palette[int(rng.integers(0, len(palette)))]
        draw.polygon(polygon, fill=(*colour, 170), outline=(30, 25, 20, 230), width=3)
    image = np.asarray(canvas, np.float32) + rng.normal(0, 8, (SIZE, SIZE, 3))
    return Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))


STYLES = {
    "mosaic": mosaic,
    "ink_wash": ink,
    "stained_glass": stained_glass,
    "brush_strokes": brush_strokes,
    "pointillist": pointillist,
    "cubist": cubist,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "resources" / "styles")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    total = 0
    for index, (name, make) in enumerate(STYLES.items()):
        image = make(np.random.default_rng(1000 + index))
        path = args.out / f"{name}.jpg"
        image.save(path, "JPEG", quality=78, optimize=True)
        total += path.stat().st_size
        print(f"{path.name}: {path.stat().st_size / 1024:.0f} KB")
    print(f"total {total / 1024:.0f} KB")


if __name__ == "__main__":
    main()
