"""One local Ray instance for the scale tests that need Ray.

Starting Ray costs seconds, so the tests that run the Ray engine share one
instance (two CPUs), started the first time a test asks for it and stopped when
the scale tests are done. An engine that finds Ray running uses it and leaves
it running, as it leaves a user's cluster.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="package")
def local_ray() -> Iterator[None]:
    """A local Ray instance of two CPUs; skips where Ray is not installed."""
    ray = pytest.importorskip("ray")
    started = not ray.is_initialized()
    if started:
        ray.init(
            address="local",
            num_cpus=2,
            include_dashboard=False,
            log_to_driver=False,
            logging_level=logging.ERROR,
        )
    yield
    if started:
        ray.shutdown()
