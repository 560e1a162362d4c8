"""Review packets: Markdown, HTML and PDF rendered from the documents and the report.

The heavy parts (WeasyPrint, matplotlib) are imported only when an HTML or
PDF packet is asked for, so a Markdown-only render needs the core install.
"""

from __future__ import annotations

from govkit.render.context import PacketContext, build_context, format_interval, format_value
from govkit.render.manifest import read_manifest, write_manifest
from govkit.render.packet import (
    FORMATS,
    PacketInputs,
    PacketResult,
    load_inputs,
    render_markdown,
    render_packet,
)
from govkit.render.verify import VerifyResult, verify_packet

__all__ = [
    "FORMATS",
    "PacketContext",
    "PacketInputs",
    "PacketResult",
    "VerifyResult",
    "build_context",
    "format_interval",
    "format_value",
    "load_inputs",
    "read_manifest",
    "render_markdown",
    "render_packet",
    "verify_packet",
    "write_manifest",
]
