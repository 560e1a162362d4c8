"""The URL fetcher WeasyPrint gets: no network, and no file outside the packet's inputs.

The packet's own HTML needs nothing but ``data:`` URIs (charts, inline CSS).
A user template may name a file next to it (a logo); files inside the
template folders are served. Everything else (http, https, ftp, a file
anywhere else on disk) is refused and recorded, so a document can never make
the renderer reach out, even if its text somehow became HTML.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse

__all__ = ["RefusedURL", "SafeFetcher"]


class RefusedURL(ValueError):
    """A URL the packet renderer will not fetch."""


class SafeFetcher(URLFetcher):  # type: ignore[misc]
    """Serves ``data:`` URIs and files under ``allowed`` folders or named in ``files``.

    Parameters
    ----------
    allowed
        Folders whose files may be read (the template folders).
    files
        Individual files that may be read.
    """

    def __init__(self, allowed: Iterable[Path] = (), files: Iterable[Path] = ()) -> None:
        super().__init__(
            allowed_protocols=("data", "file"), allow_redirects=False, fail_on_errors=False
        )
        self._folders = tuple(p.resolve() for p in allowed)
        self._files = frozenset(p.resolve() for p in files)
        #: Every URL refused, in order; the renderer reports them.
        self.refused: list[str] = []

    def _readable(self, path: Path) -> bool:
        if path in self._files:
            return True
        return path.is_file() and any(path.is_relative_to(folder) for folder in self._folders)

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            # urllib's data: handler decodes in memory; nothing leaves the process.
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(url2pathname(urlsplit(url).path)).resolve()
            if self._readable(path):
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(
                    url, body=path.read_bytes(), headers={"Content-Type": content_type}
                )
        self.refused.append(url)
        raise RefusedURL(f"govkit does not fetch {url[:80]!r} while rendering a packet")
