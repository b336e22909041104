"""Make Great Expectations Data Docs work offline: no CDN, no remote image.

GX 1.x writes pages that load jQuery, Bootstrap, bootstrap-table, popper, Font Awesome, bootstrap-datepicker and
Vega from CDNs and its logo from S3. :func:`make_offline` copies pinned copies of those files (``vendor/gx_docs``,
see the README there: versions and licences) into ``<docs>/static/vendor/`` and points every page at them with
relative paths; Vega (only used by profiling pages, which this project does not build) and the dark-mode
stylesheet are dropped; the logos come from GX's own ``static/images``. :func:`external_resources` lists what a
page would still fetch from elsewhere (a test holds it empty).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

VENDOR = Path(__file__).resolve().parent / "vendor" / "gx_docs"
VENDOR_DEST = Path("static") / "vendor"

# CDN file (its last path parts, version included) -> vendored file; None: the tag is dropped
REPLACE: dict[str, str | None] = {
    "bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "css/bootstrap-table.min.css",
    "bootstrap/4.3.1/css/bootstrap.min.css": "css/bootstrap.min.css",
    "bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        "css/bootstrap-table-filter-control.min.css",
    "bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        "css/bootstrap-table-filter-control.min.css",
    "bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": "css/bootstrap-datepicker.min.css",
    "bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": None,
    "npm/vega@5": None,
    "npm/vega-lite@5": None,
    "npm/vega-embed@6": None,
    "font-awesome/6.6.0/css/all.min.css": "css/fontawesome-all.min.css",
    "jquery-3.7.1.min.js": "js/jquery.min.js",
    "popper.js/1.12.9/umd/popper.min.js": "js/popper.min.js",
    "bootstrap/4.3.1/js/bootstrap.min.js": "js/bootstrap.min.js",
    "bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "js/bootstrap-table.min.js",
    "bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        "js/bootstrap-table-filter-control.min.js",
    "bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": "js/bootstrap-datepicker.min.js",
}
LOGOS = {"full_logo_dark.png": "images/logo-long.png", "logo-long.png": "images/logo-long.png"}

_TAG = re.compile(r"""<(script|link)\b[^>]*?(?:src|href)=["'](https?://[^"']+)["'][^>]*>(?:\s*</script>)?""", re.I)
_REMOTE_IMG = re.compile(r"""https?://great-expectations-web-assets\.[^"')\s]+/([\w.-]+?)(?:\?[^"')\s]*)?(?=["')])""")
_LOCAL_STATIC = re.compile(r"""((?:src|href)=["'])(?:\./)?(?:\.\./)*static/""")
_RESOURCE = re.compile(
    r"""<(?:script|img|iframe|source)\b[^>]*?\ssrc=["'](https?:)?//[^"']+["']"""
    r"""|<link\b[^>]*?\shref=["'](https?:)?//[^"']+["']"""
    r"""|url\(\s*["']?(?:https?:)?//[^)"']+""", re.I)


def external_resources(text: str) -> list[str]:
    """What a page would load from another host (scripts, stylesheets, images, CSS ``url()``) — not plain links."""
    return [m.group(0) for m in _RESOURCE.finditer(text)]


def _rewrite(text: str, prefix: str) -> str:
    def tag(m: re.Match) -> str:
        url = m.group(2)
        key = next((k for k in REPLACE if url.split("?")[0].endswith(k)), None)
        if key is None:
            return m.group(0)  # unknown: left for external_resources to report
        local = REPLACE[key]
        if local is None:
            return ""
        if m.group(1).lower() == "script":
            return f'<script src="{prefix}{VENDOR_DEST.as_posix()}/{local}"></script>'
        return f'<link rel="stylesheet" href="{prefix}{VENDOR_DEST.as_posix()}/{local}"/>'

    text = _TAG.sub(tag, text)

    def img(m: re.Match) -> str:
        local = LOGOS.get(m.group(1))
        return f"{prefix}static/{local}" if local else m.group(0)

    text = _REMOTE_IMG.sub(img, text)
    # GX links its own static files with a fixed number of ../ that is one short on validation pages (5 deep):
    # point every one at the site's static/ from this page's depth
    return _LOCAL_STATIC.sub(lambda m: f"{m.group(1)}{prefix}static/", text)


def make_offline(docs_dir: Path) -> list[str]:
    """Rewrite every page of the site in ``docs_dir`` to load only local files; returns the external resources
    still referenced (empty when the site is self-contained)."""
    dest = docs_dir / VENDOR_DEST
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(VENDOR, dest, ignore=shutil.ignore_patterns("README.md"))
    left = []
    for page in docs_dir.rglob("*.html"):
        depth = len(page.relative_to(docs_dir).parts) - 1
        prefix = "../" * depth
        text = page.read_text(encoding="utf-8")
        new = _rewrite(text, prefix)
        if new != text:
            tmp = page.with_name(f".{page.name}.tmp")
            tmp.write_text(new, encoding="utf-8")
            os.replace(tmp, page)
        left += [f"{page.relative_to(docs_dir)}: {r}" for r in external_resources(new)]
    return left
