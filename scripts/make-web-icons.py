#!/usr/bin/env python3
"""Draws the web client's PNG icons (a white drop on a blue square) with the standard library
only: python3 scripts/make-web-icons.py writes crates/web/assets/icons/icon-{192,512}.png.
The SVG icon beside them is the same picture, written by hand."""
import math
import struct
import zlib
from pathlib import Path

BLUE = (11, 92, 173)
WHITE = (255, 255, 255)


def inside_drop(x, y):
    # A drop in a 1x1 box: a circle at the bottom, a point at the top, tangent lines between.
    cx, cy, r = 0.5, 0.62, 0.22
    tip = (0.5, 0.16)
    if (x - cx) ** 2 + (y - cy) ** 2 <= r * r:
        return True
    d = cy - tip[1]
    half = math.asin(r / d)
    # The lines touch the circle at this height; below it the circle alone is the drop.
    touch = tip[1] + d * math.cos(half) ** 2
    if y < tip[1] or y > touch:
        return False
    return abs(x - cx) <= (y - tip[1]) * math.tan(half)


def pixel(x, y, size):
    u, v = (x + 0.5) / size, (y + 0.5) / size
    # 4x4 supersampling for smooth edges.
    hits = sum(
        inside_drop(u + (i - 1.5) / (4 * size), v + (j - 1.5) / (4 * size))
        for i in range(4)
        for j in range(4)
    )
    t = hits / 16
    return tuple(round(b * (1 - t) + w * t) for b, w in zip(BLUE, WHITE))


def png(size):
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y, size)) for x in range(size)) for y in range(size)
    )

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


out = Path(__file__).resolve().parent.parent / "crates/web/assets/icons"
for size in (192, 512):
    (out / f"icon-{size}.png").write_bytes(png(size))
