"""Licences between SPDX ids (govkit's documents) and the Hugging Face Hub's licence ids.

The Hub names most licences by their lower-cased SPDX id, a few by a shorter
family name (``gpl-3.0``, ``odbl``), and the rest not at all: those are written
as ``license: other`` with a ``license_name`` and a ``license_link``. An SPDX id
whose Hub id would lose information (``GPL-3.0-or-later`` and ``-only`` share
``gpl-3.0``) keeps its exact SPDX id in ``license_name``, so reading the card
back gives the licence that was written.
"""

from __future__ import annotations

from typing import NamedTuple

from govkit.documents.spdx import OTHER, SPDX_IDS

__all__ = ["HUB_LICENSES", "HubLicense", "from_hub", "to_hub"]

#: the Hub's licence ids (huggingface.co/docs/hub/repositories-licenses)
HUB_LICENSES: frozenset[str] = frozenset(
    """apache-2.0 mit openrail bigscience-openrail-m creativeml-openrail-m
    bigscience-bloom-rail-1.0 bigcode-openrail-m afl-3.0 artistic-2.0 bsl-1.0 bsd
    bsd-2-clause bsd-3-clause bsd-3-clause-clear c-uda cc cc0-1.0 cc-by-2.0 cc-by-2.5
    cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0 cc-by-nc-3.0 cc-by-nc-4.0
    cc-by-nd-4.0 cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0
    cc-by-nc-sa-4.0 cdla-sharing-1.0 cdla-permissive-1.0 cdla-permissive-2.0 wtfpl ecl-2.0
    epl-1.0 epl-2.0 etalab-2.0 eupl-1.1 eupl-1.2 agpl-3.0 gfdl gpl gpl-2.0 gpl-3.0 lgpl
    lgpl-2.1 lgpl-3.0 isc h-research intel-research lppl-1.3c ms-pl apple-ascl apple-amlr
    mpl-2.0 odc-by odbl openmdw-1.0 openrail++ osl-3.0 postgresql ofl-1.1 ncsa unlicense
    zlib pddl lgpl-lr deepfloyd-if-license fair-noncommercial-research-license llama2
    llama3 llama3.1 llama3.2 llama3.3 llama4 gemma unknown other""".split()  # noqa: SIM905
)

# SPDX ids the Hub knows under another name; an "-only" id stands for its family
_RENAMED = {
    "AGPL-3.0-only": "agpl-3.0",
    "GPL-2.0-only": "gpl-2.0",
    "GPL-3.0-only": "gpl-3.0",
    "LGPL-2.1-only": "lgpl-2.1",
    "LGPL-3.0-only": "lgpl-3.0",
    "GFDL-1.3-only": "gfdl",
    "ODbL-1.0": "odbl",
    "ODC-By-1.0": "odc-by",
    "PDDL-1.0": "pddl",
}


def _hub_id(spdx: str) -> str | None:
    if spdx in _RENAMED:
        return _RENAMED[spdx]
    lowered = spdx.lower()
    if lowered in HUB_LICENSES and lowered not in ("other", "unknown"):
        return lowered
    return None


class HubLicense(NamedTuple):
    """A licence as the Hub's metadata writes it."""

    license: str
    name: str | None = None  # license_name, with license: other
    link: str | None = None  # license_link, with license: other


def spdx_page(spdx: str) -> str:
    return f"https://spdx.org/licenses/{spdx}.html"


def to_hub(spdx_id: str, name: str | None, url: str | None) -> HubLicense:
    """The Hub's form of a govkit licence (``spdx_id``, and ``name``/``url`` for 'other')."""
    if spdx_id == OTHER:
        return HubLicense(OTHER, name, url)
    hub = _hub_id(spdx_id)
    if hub is not None:
        return HubLicense(hub)
    return HubLicense(OTHER, spdx_id, url or spdx_page(spdx_id))


def from_hub(
    hub: str, name: str | None, link: str | None
) -> tuple[str, str | None, str | None] | None:
    """``(spdx_id, name, url)`` for a Hub licence; None when it is neither a Hub nor an SPDX id."""
    if hub == OTHER or hub == "unknown":
        if name in SPDX_IDS:
            return name, None, (link if link and link != spdx_page(name) else None)
        return OTHER, name, link
    if hub in SPDX_IDS:
        return hub, None, None
    by_hub = {_hub_id(s): s for s in SPDX_IDS}
    if hub in by_hub:
        return by_hub[hub], None, None
    if hub in HUB_LICENSES:  # a Hub licence with no SPDX id (openrail, llama3...)
        return OTHER, name or hub, link or f"https://huggingface.co/models?license=license:{hub}"
    return None
