"""The font the PDF reader gives pdfium for CJK fonts a PDF names without embedding (readers.PDF_FONT_DIRS).

pdfium places each character with a stand-in font; which one it takes must not change the text. Generated PDFs
(reportlab's non-embedded STSong-Light, plain and Word-style layouts, injected errors, re-renders) are read in
separate processes with WenQuanYi Micro Hei (what the reader uses), with Noto CJK (what pdfium's own search of a
machine with only Noto finds) and with no CJK font at all: the first two give the same lines, the last loses
characters (why the reader must have one).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from dagster_project.lib.parsing import readers

NOTO_DIR = "/usr/share/fonts/opentype/noto"

pytestmark = pytest.mark.skipif(
    not (os.path.isdir(readers.PDF_FONT_DIRS[0]) and os.path.isdir(NOTO_DIR)),
    reason="needs fonts-wqy-microhei and fonts-noto-cjk (make system-deps)")

_READ = """
import json, sys
from pathlib import Path
from dagster_project.lib.parsing import readers
dirs = json.loads(sys.argv[1])
if dirs is not None:
    readers.PDF_FONT_DIRS = tuple(dirs)
out = {p.name: readers.read_pdf(p.read_bytes()).lines for p in sorted(Path(sys.argv[2]).glob("*.pdf"))}
print(json.dumps({"dir": readers.pdf_font_dir(), "lines": out}, ensure_ascii=False))
"""


def _read_all(folder: Path, dirs: list[str] | None) -> dict:
    """Read every PDF of ``folder`` in a fresh process whose pdfium gets ``dirs`` (None: the reader's default)."""
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", _READ, json.dumps(dirs), str(folder)], cwd=root,
                          capture_output=True, text=True, check=True, timeout=300)
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def pdf_folder(tmp_path_factory) -> Path:
    from devtools.bench import write_corpus

    folder = tmp_path_factory.mktemp("pdfs")
    write_corpus(folder, 120, ("pdf", "pdf_word"), seed=17, broken_share=0.1, duplicate_share=0.05)
    return folder


def test_the_reader_uses_wenquanyi_and_reads_what_noto_reads(pdf_folder):
    ours = _read_all(pdf_folder, None)
    noto = _read_all(pdf_folder, [NOTO_DIR])
    assert ours["dir"] == readers.PDF_FONT_DIRS[0]
    assert noto["dir"] == NOTO_DIR
    assert len(ours["lines"]) == 120
    differ = [name for name in ours["lines"] if ours["lines"][name] != noto["lines"][name]]
    assert differ == []
    # the applicant column's label (wrapped in a cell: 社会公益组 | 织 in the Word-style layout) is there
    assert all(any("社会公益组" in ln for ln in lines) for lines in ours["lines"].values())


def test_without_a_cjk_font_pdfium_loses_characters(pdf_folder, tmp_path):
    empty = tmp_path / "no-fonts"
    empty.mkdir()
    (empty / "README").write_text("not a font")  # the reader takes a directory only when it is not empty
    bare = _read_all(pdf_folder, [str(empty)])
    ours = _read_all(pdf_folder, None)
    assert bare["dir"] == str(empty)
    def chars(lines: list[str]) -> Counter:
        return Counter("".join(lines).replace(" ", ""))

    # characters the reader reads that the font-less pdfium does not (the last character of wrapped cells:
    # 社会公益组|织, 法律服务机|构…) — lost, not just laid out differently
    lost = {name: chars(ours["lines"][name]) - chars(bare["lines"][name]) for name in ours["lines"]}
    assert sum(1 for missing in lost.values() if missing) > len(lost) // 4
    assert any("织" in missing for missing in lost.values())


def test_the_font_is_not_forced_while_another_pdfium_document_is_open(pdf_folder):
    """Re-initialising pdfium would close what else the process holds: then the reader keeps pdfium as it is."""
    script = """
import sys
from pathlib import Path
import pypdfium2 as pdfium
from dagster_project.lib.parsing import readers
first = sorted(Path(sys.argv[1]).glob("*.pdf"))[0]
held = pdfium.PdfDocument(first.read_bytes())
lines = readers.read_pdf(first.read_bytes()).lines
print(readers.pdf_font_dir(), len(held) > 0, bool(lines))  # the held document still reads
held.close()
"""
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", script, str(pdf_folder)], cwd=root, capture_output=True, text=True,
                          check=True, timeout=120)
    assert done.stdout.split() == ["None", "True", "True"]
