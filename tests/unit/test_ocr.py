"""OCR of scanned reports (lib/parsing/ocr.py) on generated scans (devtools/synth/scan.py).

Real OCR (RapidOCR, models in the wheel) on a handful of damaged scans — both templates, an image
and an image-only PDF — compared with the generator's truth: every cell right or flagged; a
misread digit quarantined with the right repair; ``value_origin`` ``ocr`` and a confidence per
cell in the parse JSON, the ``gongkai parse`` output and the warehouse cells; bad images and
blank PDFs unreadable with a reason, never a crash. The OCR parses are shared (module fixtures).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from dagster_project.lib.parsing import ocr
from dagster_project.lib.parsing.api import parse_bytes
from dagster_project.lib.parsing.checks import hard_checks
from dagster_project.lib.parsing.template import T4_KEYS, t3_keys
from devtools.synth.scan import make_scan_case

SCANS = [(11, "scan_png", "gov2019"), (12, "scan_pdf", "gov2021")]
# generated scans are drawn with Noto CJK (Debian fonts-noto-cjk, installed by `make system-deps`)
needs_fonts = pytest.mark.skipif(not Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc").exists()
                                 or not Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc").exists(),
                                 reason="fonts-noto-cjk not installed (make system-deps)")


@pytest.fixture(scope="module")
def parsed():
    """[(case, parse result)] of the generated scans in SCANS."""
    out = []
    for seed, fmt, version in SCANS:
        case = make_scan_case(seed, fmt, version)
        out.append((case, parse_bytes(case.data, case.name)))
    return out


def _cells(result: dict):
    for t in ("t2", "t3", "t4"):
        for k, v in (result.get(t) or {}).items():
            yield t, k, v


@needs_fonts
def test_generated_scans_parse_with_every_cell_right_or_flagged(parsed):
    for case, res in parsed:
        exp = case.truth.expected()
        assert res["source_format"] == ("pdf" if case.fmt == "scan_pdf" else "image"), case.repro()
        assert res["report_year"] == exp["report_year"] and res["template_version"] == exp["template_version"]
        assert res["agency_name"] == exp["agency_name"], case.repro()
        flagged = {k for cands in res["ambiguous"].values() for c in cands for k in c}
        n = wrong = 0
        for t in ("t2", "t3", "t4"):
            for k, v in exp[t].items():
                n += 1
                if (res[t] or {}).get(k) != v:
                    wrong += 1
                    # a wrong cell is never published silently
                    assert res["status"] == "invariant_errors" or k in flagged, (case.repro(), t, k)
        assert n >= 190 and wrong <= 2, (case.repro(), wrong)


@needs_fonts
def test_ocr_cells_carry_origin_and_confidence(parsed):
    for case, res in parsed:
        origins, conf = res["value_origin"], res["ocr_confidence"]
        printed = [k for _, k, v in _cells(res) if v is not None]
        assert {origins[k] for k in printed} <= {"ocr", "derived", "blank_as_zero", "symbol_as_zero"}
        assert sum(origins[k] == "ocr" for k in printed) >= 0.95 * len(printed)
        # nearly every printed cell is paired with the OCR reading that printed it, and a confidence is in (0, 1]
        assert len(conf) >= 0.95 * len(printed), case.repro()
        assert all(0 < c <= 1 for c in conf.values())
        # the confidence belongs to the cell: a table 三 total read as printed is confident
        assert conf.get("received_new__total", 0) > 0.5


@needs_fonts
def test_a_misread_digit_is_quarantined_with_the_ocr_repair():
    case = make_scan_case(5, "scan_jpg", "gov2021", misprint=True)
    info = case.injected
    res = parse_bytes(case.data, case.name)
    assert res["t3"][info.cell] == info.new  # OCR reads what the scan shows …
    assert res["status"] == "invariant_errors"  # … and it is not published
    broken = {(c["check_id"], c["cells"][0]) for c in res["checks"] if c["severity"] == "error"}
    row, col = info.cell.split("__")
    assert ("T3.H2", f"{row}__total") in broken
    assert any(cid == "T3.H3" and cell.endswith("__" + col) for cid, cell in broken)
    assert res["suggested_repair"]["cells"] == {info.cell: info.old}, res["suggested_repair"]
    assert res["value_origin"][info.cell] == "ocr" and info.cell in res["ocr_confidence"]


@needs_fonts
def test_gongkai_parse_reads_a_scan(tmp_path):
    case = make_scan_case(13, "scan_tif", "gov2021")
    f = tmp_path / "scan.tif"
    f.write_bytes(case.data)
    exe = Path(sys.executable).with_name("gongkai")
    proc = subprocess.run([str(exe), "parse", str(f)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "GONGKAI_OCR_THREADS": "2"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert out["source_format"] == "image" and out["status"] in ("ok", "invariant_errors")
    assert out["t3"]["received_new__total"] == case.truth.t3["received_new__total"]
    assert out["value_origin"]["received_new__total"] == "ocr" and out["ocr_confidence"]["received_new__total"] > 0


@needs_fonts
def test_warehouse_cells_keep_origin_and_confidence(parsed, tmp_path, monkeypatch):
    from tests.warehouse.test_records import build

    case, res = parsed[1]
    res = {**res, "source_path": "scan.pdf"}
    b = build(tmp_path, {"scan.pdf": res}, monkeypatch)
    rows = b.q("select row_code, col_code, value_origin, ocr_confidence from raw.t3_cells")
    assert rows, "no table 三 cells stored"
    by_key = {f"{r}__{c}": (o, conf) for r, c, o, conf in rows}
    for key, (origin, conf) in by_key.items():
        assert origin == res["value_origin"].get(key, "printed")
        want = res["ocr_confidence"].get(key)
        assert (conf is None) if want is None else abs(conf - want) < 1e-9
    assert sum(o == "ocr" for o, _ in by_key.values()) >= 150


# ---------------------------------------------------------------- bad input: unreadable with a reason
def _png(width: int, height: int, body: bytes = b"") -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        import struct

        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    import struct

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(body)) + chunk(b"IEND", b"")


def _real_png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (300, 200), 255).save(buf, "PNG")
    return buf.getvalue()


def _jpeg() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("L", (600, 400), 255)
    ImageDraw.Draw(img).rectangle((50, 50, 500, 300), outline=0, width=3)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def _blank_pdf(pages: int = 2) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for _ in range(pages):
        c.showPage()
    c.save()
    return buf.getvalue()


def _white_image_pdf() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (1240, 1754), 255).save(buf, "PDF", resolution=150.0)
    return buf.getvalue()


@pytest.mark.parametrize("name,data,reason", [
    ("junk.png", b"\x89PNG\r\n\x1a\n" + os.urandom(2000), "image"),
    ("truncated.png", _png(2000, 2000, bytes(2000 * 2001))[:300], "image"),
    ("truncated.jpg", _jpeg()[:700], "image"),
    ("huge.png", _png(200_000, 200_000), "image"),
    ("tall.png", _png(1000, 90_000), "image"),
    ("white.png", _real_png(), "no text"),
    ("blank.pdf", _blank_pdf(), "no text"),
    ("white-scan.pdf", _white_image_pdf(), "no text"),
    ("text.jpg", b"this is not a picture", ""),
])
def test_bad_scans_are_unreadable_with_a_reason(name, data, reason):
    res = parse_bytes(data, name)
    assert res["status"] in ("unreadable", "not_a_report"), res
    if res["status"] == "unreadable":
        assert res["error"] and reason in res["error"], res["error"]
        assert "internal" not in res["error"]


def test_too_many_scanned_pages_is_unreadable_before_any_ocr():
    from PIL import Image

    frames = [Image.new("L", (200, 280), 255) for _ in range(ocr.MAX_OCR_PAGES + 3)]
    buf = io.BytesIO()
    frames[0].save(buf, "PDF", save_all=True, append_images=frames[1:])
    res = parse_bytes(buf.getvalue(), "many.pdf")
    assert res["status"] == "unreadable" and "OCR limit" in res["error"]


# ---------------------------------------------------------------- pure parts
def test_digit_alternatives_cover_the_usual_confusions():
    alts = ocr.digit_alternatives(38)
    for want in (88, 30, 36, 39, 3, 8, 381, 138):  # 3→8, 8→0/6/9, a stray digit, a dropped digit
        assert want in alts
    assert 38 not in alts and all(a >= 0 for a in alts)
    assert ocr.digit_alternatives(0)[:3] == [8, 6, 9]


def test_align_confidences_pairs_cells_with_the_tokens_that_printed_them():
    cells = [("a", 1), ("b", 20), ("c", 3), ("d", 0.5)]
    tokens = [("1", 0.9), ("2O", 0.4), ("3", 0.8), ("0.50", 0.7)]  # "2O": a misread 20
    conf = ocr.align_confidences(cells, tokens)
    assert conf == {"a": 0.9, "b": 0.4, "c": 0.8, "d": 0.7}


def test_ocr_repair_offers_only_a_unique_fix():
    from tests.warehouse.factories import t3_cells, t4_cells

    t3, t4 = t3_cells("gov2021", 3), t4_cells(2)
    key = next(k for k in t3_keys("gov2021") if k.startswith("granted__") and not k.endswith("total") and t3[k] == 1)
    t3[key] = 7  # 1 read as 7
    errors = hard_checks("gov2021", None, t3, t4)
    repair, found = ocr.ocr_repair("gov2021", None, t3, t4, errors, set(t3) | set(t4))
    assert repair["cells"] == {key: 1} and found == [{key: 1}]
    assert t3[key] == 7  # the reading itself is never changed
    # a broken table 四 total where two leaves could each be the misread one: no repair, both listed
    t4b = {k: 0 for k in T4_KEYS}
    t4b.update({"admin_review__upheld": 1, "admin_review__corrected": 1, "admin_review__total": 8})
    errors = hard_checks("gov2021", None, None, t4b)
    repair, found = ocr.ocr_repair("gov2021", None, None, t4b, errors, set(t4b))
    assert repair is None and {"admin_review__upheld": 7} in found and {"admin_review__corrected": 7} in found


def test_a_tall_image_is_cut_at_blank_rows():
    import numpy as np

    page = np.full((1980, 1400), 255, np.uint8)
    page[100:1880:40, 100:1300] = 0  # text-like rows, margins blank
    tall = np.concatenate([page, page, page])
    parts = ocr._split_tall(tall)
    assert len(parts) == 3 and sum(p.shape[0] for p in parts) == tall.shape[0]
    for p in parts[:-1]:
        assert (p[-1] == 255).all()  # cut through a blank row



def test_a_positive_change_read_by_ocr_keeps_its_negative_reading():
    """OCR can drop a lone minus sign and no invariant notices (T2.H3 only bars a change below minus the previous
    year's count): an OCR-read positive 本年增/减 lists the negative reading as a candidate, unless T2.H3 rules it out."""
    from dagster_project.lib.parsing.template import t2_keys

    t2 = dict.fromkeys(t2_keys("gov2019"), 0)
    t2.update({"licensing__items_prev_year": 12, "licensing__items_change": 3,   # -3 possible: 12 - 3 ≥ 0
               "penalty__items_prev_year": 2, "penalty__items_change": 5})       # -5 would break T2.H3
    out = {"t2": t2, "t3": None, "t4": None, "checks": [], "ambiguous": {}, "value_origin": {}}
    ocr.apply_ocr(out, [], None, "gov2019")
    assert out["ambiguous"]["t2.ocr.licensing__items_change"] == [{"licensing__items_change": 3},
                                                                  {"licensing__items_change": -3}]
    assert "t2.ocr.penalty__items_change" not in out["ambiguous"]
    s3 = [c for c in out["checks"] if c["check_id"] == "OCR.S3"]
    assert [c["cells"] for c in s3] == [["licensing__items_change"]] and s3[0]["severity"] == "warn"
