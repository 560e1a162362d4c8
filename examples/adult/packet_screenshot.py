"""A picture of the Adult packet's HTML page in a browser, for the README.

Run after `make demo`: opens packet.html in headless Chromium (the system's
package, driven by playwright) at desktop width, at the demographic parity
result, and saves packet-html.png. The page is opened from disk and may
fetch nothing: any request is an error here, as it is in the browser test.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
PAGE = HERE / "build" / "govkit" / "packet" / "packet.html"
OUT = HERE / "packet-html.png"
WIDTH, HEIGHT = 1280, 860
#: where the picture starts: a fairness result, with its chart and figures
ANCHOR = "check-fairness-demographic-parity"


def main() -> int:
    if not PAGE.is_file():
        print(f"no packet at {PAGE}: run `make demo` first", file=sys.stderr)
        return 2
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("Chromium is missing: sudo apt-get install chromium", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    fetched: list[str] = []
    with sync_playwright() as driver, tempfile.TemporaryDirectory() as tmp:
        browser = driver.chromium.launch(executable_path=chromium)
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
            page.on("request", lambda request: fetched.append(request.url.split("#")[0]))
            page.goto(f"{PAGE.as_uri()}#{ANCHOR}")
            raw = Path(tmp) / "shot.png"
            page.screenshot(path=str(raw))
        finally:
            browser.close()
        if fetched != [PAGE.as_uri()]:
            print(f"packet.html fetched more than itself: {fetched}", file=sys.stderr)
            return 1
        # a 256-colour palette keeps the picture small; text and charts stay sharp
        Image.open(raw).convert("RGB").quantize(colors=256).save(OUT, optimize=True)
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
