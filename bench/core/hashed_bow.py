"""A deterministic bag-of-words vectorizer for KNNFewShot in both frameworks (no model, no
download): each lower-cased word adds 1 to one of `DIM` buckets (CRC32 of the word), and the
vector is scaled to unit length, so DSPy's dot product and Tunesmith's cosine rank alike."""

from __future__ import annotations

import re
import zlib

import numpy as np

DIM = 512
WORD = re.compile(r"[a-z0-9]+")


def hashed_bow(texts: list[str]) -> np.ndarray:
    """One unit-length row per text (a text with no word gets a zero row)."""
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in WORD.findall(text.lower()):
            out[row, zlib.crc32(word.encode()) % DIM] += 1.0
        norm = float(np.linalg.norm(out[row]))
        if norm:
            out[row] /= norm
    return out
