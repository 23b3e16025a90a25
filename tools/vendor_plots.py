#!/usr/bin/env python3
"""Build the page ``dvc plots show`` draws into so that it needs no network: vega, vega-lite and
vega-embed, taken from the npm registry at the versions DVC's own page loads from a CDN
(``dvc_render.vega.VegaRenderer.SCRIPTS``), inlined in ``.dvc/plots/vendor/page.html`` (the
``plots.html_template`` of ``.dvc/config``), with each package's licence beside it.

    python tools/vendor_plots.py   # needs npm and the registry; rewrites .dvc/plots/vendor/

DVC fills the page's ``{plot_divs}`` (and ``{refresh_tag}``); the page has no ``{scripts}``, where
DVC would put its CDN script tags. Change a version here, run the script, commit the folder."""

from __future__ import annotations

import json
import re
import subprocess
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR_DIR = ROOT / ".dvc/plots/vendor"
PAGE = VENDOR_DIR / "page.html"
PACKAGES = {"vega": "5.20.2", "vega-lite": "5.2.0", "vega-embed": "6.18.2"}  # in load order: vega-embed needs the other two
UNSAFE = ("</script", "{scripts}", "{plot_divs}", "{refresh_tag}")  # would end an inlined script early, or DVC would fill it

PAGE_HTML = """<!DOCTYPE html>
<html>
<head>
    <meta charset="utf-8">
    {{refresh_tag}}
    <title>DVC Plot</title>
    <!-- {packages}: inlined from npm by tools/vendor_plots.py, so the page draws offline; licences beside this file -->
{scripts}
    <style>
        table {{
            border-spacing: 15px;
        }}
    </style>
</head>
<body>
    {{plot_divs}}
</body>
</html>
"""


def packed(name: str, version: str, folder: Path) -> tarfile.TarFile:
    """The npm tarball of ``name@version``, downloaded into ``folder`` with ``npm pack``."""
    tarball = subprocess.run(["npm", "pack", "--silent", f"{name}@{version}"], cwd=folder, check=True, capture_output=True, text=True).stdout
    return tarfile.open(folder / tarball.strip().splitlines()[-1])


def browser_script(package: tarfile.TarFile) -> str:
    """The package's browser build, the file a CDN serves for it (its ``package.json``'s
    ``jsdelivr`` entry), without the source-map comment (the maps are not vendored)."""
    manifest = json.load(package.extractfile("package/package.json"))
    script = package.extractfile(f"package/{manifest['jsdelivr']}").read().decode("utf-8")
    found = [text for text in UNSAFE if text in script.lower()]
    if found:
        raise SystemExit(f"{manifest['name']}: its build contains {found}, which cannot be inlined in the page")
    return re.sub(r"\n?//# sourceMappingURL=\S+\s*$", "", script)


def main() -> None:
    scripts = []
    VENDOR_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, version in PACKAGES.items():
            with packed(name, version, Path(tmp)) as package:
                scripts.append(f"    <script>/* {name} {version} */\n{browser_script(package)}\n    </script>")
                (VENDOR_DIR / f"LICENSE.{name}").write_bytes(package.extractfile("package/LICENSE").read())
    names = ", ".join(f"{name} {version}" for name, version in PACKAGES.items())
    PAGE.write_text(PAGE_HTML.format(packages=names, scripts="\n".join(scripts)), encoding="utf-8")
    print(f"{PAGE.relative_to(ROOT)}: {names} ({PAGE.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
