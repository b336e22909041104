"""The one docs site of a warehouse, served on 127.0.0.1 by ``gongkai docs``.

``/`` is the dbt docs site (``<warehouse>/dbt_docs``: index.html, manifest.json, catalog.json), ``/gx/`` the Great
Expectations Data Docs (``<warehouse>/gx_docs``, made offline by ``gx_offline.py``), ``/quality/`` the quality and
KPI report (``<warehouse>/quality_report``). The dbt overview page links the other two. Everything is a static
file on disk: nothing is fetched from elsewhere.

Run as ``python -m dagster_project.lib.warehouse.docs_site --port P --dbt DIR --gx DIR --quality DIR``.
"""

from __future__ import annotations

import argparse
import functools
import os
import posixpath
import urllib.parse
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PORT_ENV = "GONGKAI_DOCS_PORT"
DEFAULT_PORT = 8080
MOUNTS = ("gx", "quality")  # URL prefixes besides the dbt site at /


def docs_url(path: str = "", port: int | None = None) -> str:
    """The URL of a page of the docs site as ``gongkai docs`` serves it (``$GONGKAI_DOCS_PORT`` or 8080)."""
    port = port or int(os.environ.get(PORT_ENV) or DEFAULT_PORT)
    return f"http://127.0.0.1:{port}/{path.lstrip('/')}"


class _Handler(SimpleHTTPRequestHandler):
    def __init__(self, *args, roots: dict[str, Path], **kwargs):
        self.roots = roots
        super().__init__(*args, directory=str(roots[""]), **kwargs)

    def translate_path(self, path: str) -> str:
        path = urllib.parse.unquote(path.split("?", 1)[0].split("#", 1)[0])
        parts = [p for p in posixpath.normpath(path).split("/") if p and p not in (".", "..")]
        root = self.roots[""]
        if parts and parts[0] in self.roots and parts[0]:
            root, parts = self.roots[parts[0]], parts[1:]
        full = root.joinpath(*parts) if parts else root
        if path.endswith("/") and full.is_dir():
            return str(full) + "/"
        return str(full)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # a run rebuilds the pages: never show a stale copy
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # quiet: one line per request is noise here
        pass


def make_server(port: int, dbt_dir: Path, gx_dir: Path, quality_dir: Path, host: str = "127.0.0.1"):
    roots = {"": dbt_dir, "gx": gx_dir, "quality": quality_dir}
    return ThreadingHTTPServer((host, port), functools.partial(_Handler, roots=roots))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, default=DEFAULT_PORT)
    ap.add_argument("--dbt", type=Path, required=True)
    ap.add_argument("--gx", type=Path, required=True)
    ap.add_argument("--quality", type=Path, required=True)
    a = ap.parse_args(argv)
    server = make_server(a.port, a.dbt, a.gx, a.quality)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
