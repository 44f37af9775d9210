"""The headless browser of the browser tests: Debian's Chromium, driven by Playwright."""

from __future__ import annotations

import shutil

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Playwright's launch() already starts from a fresh, empty --user-data-dir. Without the
# networking flags Chromium tries to reach Google's services as it starts.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
