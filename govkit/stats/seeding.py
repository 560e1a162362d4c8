"""Independent, reproducible seeds for the separate random draws of one run."""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["derive_seed"]


def derive_seed(seed: int, *keys: str) -> int:
    """A seed for the draw named by ``keys``, derived from the run's ``seed``.

    Python's ``hash`` of a string changes between processes, so the keys are
    reduced with CRC-32: the same run seed and keys give the same seed
    everywhere, and different keys give statistically independent streams.

    Parameters
    ----------
    seed
        The run's seed (non-negative).
    keys
        Names of the draw, e.g. the grouping ``"sex&race"``.

    Returns
    -------
    int
        A 63-bit seed for ``numpy.random.default_rng``.
    """
    words = [int(seed) & 0xFFFFFFFF, (int(seed) >> 32) & 0xFFFFFFFF]
    words += [zlib.crc32(k.encode("utf-8")) for k in keys]
    state = np.random.SeedSequence(words).generate_state(2, dtype=np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))
