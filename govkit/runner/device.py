"""Choosing the device: ``auto`` takes CUDA when there is one."""

from __future__ import annotations

import re

from govkit.errors import ConfigError

__all__ = ["check_device_text", "describe_device", "resolve_device"]

_DEVICE = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")


def check_device_text(text: str, source: str) -> str:
    """``text`` when it names a device, else a ConfigError naming ``source``."""
    if not _DEVICE.match(text):
        raise ConfigError(f"{source}: expected auto, cpu, cuda or cuda:N, got {text!r}")
    return text


def resolve_device(requested: str) -> str:
    """The torch device string for ``requested`` (``auto``, ``cpu``, ``cuda``, ``cuda:N``).

    Raises
    ------
    ConfigError
        When CUDA is asked for and is not available, or the index does not exist.
    """
    import torch

    if requested == "cpu":
        return "cpu"
    available = torch.cuda.is_available()
    if requested == "auto":
        return "cuda:0" if available else "cpu"
    if not available:
        why = (
            "this torch build has no CUDA support"
            if torch.version.cuda is None
            else "no CUDA device is visible"
        )
        raise ConfigError(
            f"device '{requested}' was requested but CUDA is not available "
            f"({why}, torch {torch.__version__}); use --device cpu or auto"
        )
    index = int(requested.partition(":")[2] or 0)
    count = torch.cuda.device_count()
    if index >= count:
        raise ConfigError(
            f"device '{requested}' does not exist: {count} CUDA device(s) "
            f"visible (cuda:0 .. cuda:{count - 1})"
        )
    return f"cuda:{index}"


def describe_device(device: str) -> str:
    """``cpu`` or ``cuda:N (device name)``, as report.json records it."""
    if not device.startswith("cuda"):
        return "cpu"
    import torch

    return f"{device} ({torch.cuda.get_device_name(torch.device(device))})"
