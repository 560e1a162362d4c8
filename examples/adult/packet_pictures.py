"""Pictures of the Adult packet's pages for the README, made from the real PDF.

Run after `make demo`: finds the cover, the contents, the demographic parity
chart and the risk traceability matrix in packet.pdf, rasterises them with
poppler's pdftoppm and lays them side by side in packet-pages.png.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image
from pypdf import PdfReader

HERE = Path(__file__).resolve().parent
PDF = HERE / "build" / "govkit" / "packet" / "packet.pdf"
OUT = HERE / "packet-pages.png"
#: text on the pages to show, in order; the first two are the cover and the contents
WANTED = ("selection_rate by group, with 95% intervals", "Risk traceability matrix")


def pick_pages(reader: PdfReader) -> list[int]:
    pages = [1, 2]
    for title in WANTED:
        for number, page in enumerate(reader.pages, start=1):
            if number > 3 and title in (page.extract_text() or ""):
                pages.append(number)
                break
    return pages


def main() -> int:
    if not PDF.is_file():
        print(f"no packet at {PDF}: run `make demo` first", file=sys.stderr)
        return 2
    if shutil.which("pdftoppm") is None:
        print("pdftoppm is missing: apt-get install poppler-utils", file=sys.stderr)
        return 2
    pages = pick_pages(PdfReader(PDF))
    with tempfile.TemporaryDirectory() as tmp:
        images = []
        for number in pages:
            prefix = Path(tmp) / f"p{number}"
            subprocess.run(
                [
                    "pdftoppm",
                    "-r",
                    "60",
                    "-png",
                    "-singlefile",
                    "-f",
                    str(number),
                    "-l",
                    str(number),
                    str(PDF),
                    str(prefix),
                ],
                check=True,
            )
            images.append(Image.open(f"{prefix}.png").convert("RGB"))
        width, height = images[0].size
        gap = 12
        strip = Image.new("RGB", (len(images) * (width + gap) - gap, height), "#d0d4da")
        for i, image in enumerate(images):
            strip.paste(image, (i * (width + gap), 0))
        strip.save(OUT, optimize=True)
    print(f"wrote {OUT} (pages {', '.join(map(str, pages))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
