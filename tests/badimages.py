"""Hostile image files for tests: a decompression bomb, a truncated PNG, noise that compresses badly."""

from __future__ import annotations

import io
import random
import struct
import zlib

from PIL import Image


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int = 10_000, height: int = 10_000) -> bytes:
    """A valid 1-bit PNG of `width` x `height` white pixels: a few kB on disk, 100 megapixels once opened."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def noise_png(width: int = 120, height: int = 80, seed: int = 6) -> bytes:
    """A small PNG of random pixels (so that cutting it short really truncates the pixel data)."""
    generator = random.Random(seed)
    image = Image.frombytes("RGB", (width, height), bytes(generator.randrange(256) for _ in range(width * height * 3)))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def truncated_png() -> bytes:
    data = noise_png()
    return data[: len(data) // 2]


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "navy").save(buffer, "JPEG")
    return buffer.getvalue()
