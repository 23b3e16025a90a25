"""The page ``dvc plots show`` draws into (tools/vendor_plots.py): every script inline, so it
draws offline; its charset declared; the pinned versions with their licences; ``.dvc/config``
pointing DVC to it, and DVC filling it without adding its CDN scripts."""

from __future__ import annotations

import re
from pathlib import Path

from configobj import ConfigObj
from dvc_render import VegaRenderer, render_html

from tools.vendor_plots import PACKAGES, PAGE, ROOT, VENDOR_DIR

TEXT = PAGE.read_text(encoding="utf-8")


def test_dvc_config_points_plots_show_to_the_page():
    template = ConfigObj(str(ROOT / ".dvc/config"))["plots"]["html_template"]
    assert (ROOT / ".dvc" / template).resolve() == PAGE.resolve()  # DVC reads the path relative to .dvc/


def test_the_page_loads_no_script_from_the_network():
    assert re.findall(r"<script\b[^>]*>", TEXT) == ["<script>"] * len(PACKAGES)  # inline, none with a src
    assert not re.search(r"""\bimport\s*(\(\s*|[^;'"]*?\bfrom\s*)["'](https?:)?//""", TEXT)  # no module imported from a URL
    assert "{scripts}" not in TEXT  # where DVC would put its CDN script tags


def test_the_page_declares_its_charset_and_has_dvcs_placeholder():
    assert '<meta charset="utf-8">' in TEXT and "{plot_divs}" in TEXT


def test_the_page_inlines_the_pinned_versions_with_their_licences():
    assert re.findall(r"<script>/\* (\S+ \S+) \*/", TEXT) == [f"{name} {version}" for name, version in PACKAGES.items()]
    for name in PACKAGES:
        assert "Redistribution and use in source and binary forms" in (VENDOR_DIR / f"LICENSE.{name}").read_text(encoding="utf-8")


def test_dvc_fills_the_page_with_the_plots_and_no_cdn_script(tmp_path):
    plot = VegaRenderer([{"epoch": 1, "top1": 90.0}], "curve.csv", x="epoch", y="top1")
    html = Path(render_html([plot], tmp_path / "index.html", html_template=PAGE)).read_text(encoding="utf-8")
    assert "vegaEmbed(" in html and "{plot_divs}" not in html
    assert not re.search(r"<script\b[^>]*\bsrc\s*=", html)
