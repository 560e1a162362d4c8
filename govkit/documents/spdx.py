"""The SPDX licence ids a document may name without spelling the licence out.

Not the whole SPDX list (it changes every few months and holds hundreds of
rarely used ids): the licences that code, models and data sets commonly use.
Anything else is written as ``spdx_id: other`` with a ``name`` and ``url``.
"""

from __future__ import annotations

__all__ = ["OTHER", "SPDX_IDS"]

OTHER = "other"

SPDX_IDS: tuple[str, ...] = (
    "0BSD",
    "AFL-3.0",
    "AGPL-3.0-only",
    "AGPL-3.0-or-later",
    "Apache-2.0",
    "Artistic-2.0",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "BSD-3-Clause-Clear",
    "BSL-1.0",
    "CC-BY-2.0",
    "CC-BY-3.0",
    "CC-BY-4.0",
    "CC-BY-NC-2.0",
    "CC-BY-NC-3.0",
    "CC-BY-NC-4.0",
    "CC-BY-NC-ND-3.0",
    "CC-BY-NC-ND-4.0",
    "CC-BY-NC-SA-2.0",
    "CC-BY-NC-SA-3.0",
    "CC-BY-NC-SA-4.0",
    "CC-BY-ND-4.0",
    "CC-BY-SA-3.0",
    "CC-BY-SA-4.0",
    "CC0-1.0",
    "CDLA-Permissive-1.0",
    "CDLA-Permissive-2.0",
    "CDLA-Sharing-1.0",
    "DbCL-1.0",
    "ECL-2.0",
    "EPL-1.0",
    "EPL-2.0",
    "EUPL-1.2",
    "GFDL-1.3-only",
    "GPL-2.0-only",
    "GPL-2.0-or-later",
    "GPL-3.0-only",
    "GPL-3.0-or-later",
    "ISC",
    "LGPL-2.1-only",
    "LGPL-2.1-or-later",
    "LGPL-3.0-only",
    "LGPL-3.0-or-later",
    "LPPL-1.3c",
    "MIT",
    "MIT-0",
    "MPL-2.0",
    "MS-PL",
    "NCSA",
    "ODbL-1.0",
    "ODC-By-1.0",
    "OFL-1.1",
    "OSL-3.0",
    "PDDL-1.0",
    "PostgreSQL",
    "PSF-2.0",
    "Unlicense",
    "UPL-1.0",
    "WTFPL",
    "Zlib",
)
