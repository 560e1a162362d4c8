"""When an attribution check cannot run."""

from __future__ import annotations

from typing import Any

from govkit.checks.base import SkipCheck

__all__ = ["NO_MODEL", "require_model"]

NO_MODEL = "needs the model and its inputs; there are none in predictions-only mode"


def require_model(ctx: Any) -> None:
    """Raise SkipCheck unless the context can run the model on its inputs."""
    if ctx.model is None or ctx.log_probs_of is None or ctx._inputs is None:
        raise SkipCheck(NO_MODEL)
