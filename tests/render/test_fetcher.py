"""WeasyPrint's fetcher refuses the network and files outside the packet's inputs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from govkit.render.fetcher import RefusedURL, SafeFetcher
from govkit.render.pdf import write_pdf
from tests.helpers import Sink


def test_fetcher_serves_data_and_allowed_files_only(tmp_path: Path) -> None:
    allowed = tmp_path / "templates"
    allowed.mkdir()
    (allowed / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8")
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read", encoding="utf-8")
    fetcher = SafeFetcher(allowed=[allowed])
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"
    assert b"svg" in fetcher.fetch((allowed / "logo.svg").as_uri()).read()
    for url in (
        secret.as_uri(),
        (allowed / ".." / "secret.txt").as_uri(),
        "http://127.0.0.1:9/x.png",
        "https://example.org/",
        "ftp://example.org/f",
    ):
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 5


def test_pdf_rendering_fetches_nothing(tmp_path: Path) -> None:
    sink = Sink()
    try:
        secret = tmp_path / "secret.css"
        secret.write_text("body { color: red }", encoding="utf-8")
        html = (
            "<html><head><title>t</title>"
            f'<link rel="stylesheet" href="{sink.url}/style.css">'
            f'<link rel="stylesheet" href="{secret.as_uri()}"></head>'
            f'<body><p>text</p><img src="{sink.url}/pixel.png">'
            f'<div style="background: url({sink.url}/bg.png)">x</div></body></html>'
        )
        fetcher = SafeFetcher(allowed=[tmp_path / "templates"])
        data = write_pdf(
            html,
            base_url=tmp_path,
            fetcher=fetcher,
            attachments=[],
            instant=datetime(2025, 1, 1, tzinfo=UTC),
            producer="govkit test",
        )
    finally:
        sink.close()
    assert data.startswith(b"%PDF")
    assert sink.hits == []
    assert any(u.endswith("/pixel.png") for u in fetcher.refused)
    assert secret.as_uri() in fetcher.refused
