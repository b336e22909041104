"""OCR for scanned reports: page images → the text lines the table parser already reads.

Engine: RapidOCR (``rapidocr-onnxruntime``, PP-OCRv4 detection + recognition models shipped inside
the wheel, run by onnxruntime on the CPU; no network, no model download). One engine per process,
built on first use (nothing happens at import).

A page goes: grey image → text boxes (quad, text, confidence) → deskew (the median slope of the
wide boxes; boxes and image are rotated back) → ruled-table reconstruction: horizontal rules are
found by a morphological opening, a box lies in a table cell when rules close it above, below,
left and right; boxes of one cell are joined (a label wrapped over two lines is one cell), cells
that start at the same rule form one row, written ``| cell | cell | … |`` — the physical-cell
shape the HTML reader produces, so the same table/solver/check code reads it. A rowspan cell
appears in the row where it starts, as in HTML. Text outside tables becomes lines by vertical
overlap. Every numeric table cell keeps its OCR confidence (``Document.ocr_cells``, in document
order); ``api.parse_document`` aligns them with the solved cells.

Limits (a scan beyond them is ``unreadable`` with the reason, never a crash or an OOM):
:data:`MAX_IMAGE_PIXELS` per decoded image or frame, :data:`MAX_OCR_PAGES` pages, pages scaled
to :data:`PAGE_WIDTH` pixels wide, and :data:`OCR_TIME_BUDGET_S` seconds of OCR per file (the
ingest kills a file's parse at 120 s).

Invariant-guided repair (:func:`ocr_repair`): a reading that breaks a hard check is never
published; for the OCR-read cells in the scope of the broken checks the usual misreadings of
each digit (1/7, 0/8/6/9, 3/8, 5/6, 4/1, a dropped or a stray digit) are tried one cell at a
time, and the repair is offered only when exactly one alternative makes every hard check pass.
"""

from __future__ import annotations

import io
import math
import os
import re
import time
import warnings
from dataclasses import dataclass

__all__ = ["MAX_IMAGE_PIXELS", "MAX_OCR_PAGES", "PAGE_WIDTH", "OCR_TIME_BUDGET_S", "OcrPage", "ocr_image_bytes",
           "ocr_gray", "digit_alternatives", "ocr_repair", "align_confidences", "OcrError"]

MAX_IMAGE_PIXELS = 60_000_000  # per decoded image / TIFF frame / rendered PDF page (≈ A4 at 600 dpi)
MAX_OCR_PAGES = 12  # pages OCR'd per file (an annual report's scan is 2–8 pages)
PAGE_WIDTH = 1400  # pixels: pages are scaled to this width (≈ 170 dpi for A4); tables' digits stay ~17 px high
MAX_PAGE_ASPECT = 1.5  # a taller image (a "长图" of stacked pages) is cut into pages at blank rows
OCR_TIME_BUDGET_S = 90.0  # OCR seconds per file before giving up (the ingest's alarm is 120 s)
_ENGINE_THREADS_ENV = "GONGKAI_OCR_THREADS"  # onnxruntime threads per process (default: up to 4 cores)


class OcrError(Exception):
    """The scan cannot be OCR'd (too large, too many pages, undecodable, over the time budget)."""


@dataclass
class OcrPage:
    """One OCR'd page: its text lines and the numeric table cells with their confidence."""

    lines: list[str]
    cells: list[tuple[str, float]]  # (normalised numeric cell text, confidence), in line order
    seconds: float = 0.0


# ---------------------------------------------------------------- engine
_ENGINE = None


def _engine():
    """The process's RapidOCR engine (models from the wheel), built on first use."""
    global _ENGINE
    if _ENGINE is None:
        import logging

        from rapidocr_onnxruntime import RapidOCR

        threads = os.environ.get(_ENGINE_THREADS_ENV)
        n = int(threads) if threads and threads.isdigit() and int(threads) > 0 else min(4, os.cpu_count() or 1)
        # detection on pages scaled to at most 1400 px (our pages are PAGE_WIDTH wide): half the cost of the
        # default (min side ≥ 736, i.e. full size), the same boxes on generated scans
        _ENGINE = RapidOCR(text_score=0.3, intra_op_num_threads=n, inter_op_num_threads=1, print_verbose=False,
                           det_limit_side_len=1400, det_limit_type="max")
        logging.getLogger("RapidOCR").setLevel(logging.WARNING)
    return _ENGINE


# ---------------------------------------------------------------- image input
def ocr_image_bytes(data: bytes, deadline: float | None = None) -> list[OcrPage]:
    """OCR every page of an image file (PNG, JPEG, TIFF (multi-page), BMP, GIF, WebP)."""
    import numpy as np
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS  # PIL raises DecompressionBombError beyond 2× this
    try:
        with warnings.catch_warnings():  # sizes between 1× and 2× the limit: refused below, with the reason
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - PIL raises many types for junk
        raise OcrError(f"not a readable image: {exc}") from exc
    if img.format not in ("PNG", "JPEG", "TIFF", "BMP", "GIF", "WEBP", "MPO"):
        raise OcrError(f"unsupported image format {img.format}")
    n_frames = getattr(img, "n_frames", 1)
    deadline = deadline if deadline is not None else time.monotonic() + OCR_TIME_BUDGET_S
    pages: list[OcrPage] = []
    for i in range(n_frames):
        try:
            img.seek(i)
        except EOFError:
            break
        w, h = img.size
        if w <= 0 or h <= 0:
            raise OcrError("the image is empty")
        if w * h > MAX_IMAGE_PIXELS:
            raise OcrError(f"the image is too large: {w}×{h} pixels (limit {MAX_IMAGE_PIXELS:,})")
        try:
            frame = ImageOps.exif_transpose(img) if i == 0 else img
            gray = np.asarray(frame.convert("L"))
        except Exception as exc:  # noqa: BLE001 - truncated or corrupt data
            raise OcrError(f"cannot decode the image: {exc}") from exc
        for part in _split_tall(_to_width(gray)):
            if len(pages) >= MAX_OCR_PAGES:
                raise OcrError(f"the scan has more than {MAX_OCR_PAGES} pages (OCR limit)")
            pages.append(ocr_gray(part, deadline, first_page=not pages))
    if not pages:
        raise OcrError("the image holds no page")
    return pages


def _to_width(gray):
    """Scale a page to :data:`PAGE_WIDTH` pixels wide (down always; up when under 0.75 of it)."""
    import cv2

    h, w = gray.shape[:2]
    if w > PAGE_WIDTH * 1.1 or w < PAGE_WIDTH * 0.75:
        s = PAGE_WIDTH / w
        nh = max(1, int(round(h * s)))
        if nh * PAGE_WIDTH > MAX_IMAGE_PIXELS:
            raise OcrError(f"the image is too long: {w}×{h} pixels")
        gray = cv2.resize(gray, (PAGE_WIDTH, nh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)
    return gray


def _split_tall(gray) -> list:
    """A tall image cut into page-sized parts at the emptiest rows near each page height."""
    import numpy as np

    h, w = gray.shape[:2]
    limit = int(w * MAX_PAGE_ASPECT)
    if h <= limit:
        return [gray]
    ink = (gray < 128).sum(axis=1).astype(np.int64)
    parts, top = [], 0
    target = int(w * 1.414)
    while h - top > limit:
        lo, hi = top + int(target * 0.7), min(h - 1, top + int(target * 1.05))
        window = ink[lo:hi]
        # prefer the middle of the longest run of the emptiest rows
        best = window.min()
        rows = np.flatnonzero(window <= best + 1)
        runs = np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1)
        run = max(runs, key=len)
        cut = lo + int(run[len(run) // 2])
        parts.append(gray[top:cut])
        top = cut
    parts.append(gray[top:])
    return parts


# ---------------------------------------------------------------- one page
def ocr_gray(gray, deadline: float | None = None, first_page: bool = True) -> OcrPage:
    """OCR one grey page (numpy uint8, 2-D) into lines (``first_page``: the report's title is on it)."""
    import numpy as np

    if deadline is not None and time.monotonic() > deadline:
        raise OcrError(f"OCR time budget of {OCR_TIME_BUDGET_S:.0f} s exceeded")
    t0 = time.perf_counter()
    gray = np.ascontiguousarray(gray)
    if gray.shape[0] < 16 or gray.shape[1] < 16:
        return OcrPage([], [], 0.0)
    boxes = _ocr_boxes(gray, first_page)
    lines, cells = build_lines(gray, boxes)
    return OcrPage(lines, cells, time.perf_counter() - t0)


READ_BODY_TEXT = os.environ.get("GONGKAI_OCR_BODY_TEXT", "") == "1"  # recognise body paragraphs too (slower)
BODY_LINE_WIDTH = 0.5  # a text line wider than this share of the page is body text
TITLE_LINES = 3  # the top wide lines of the first page are always read (the title, wrapped or not)
_REC_H = 48  # the recognition model's input height
_GAP = 32  # white pixels between two crops in a strip
_STRIP_W = 1600  # crops are packed into strips up to this width (context helps: lone "0"s in short strips read as "o")
_BATCH = 2  # strips per inference
_MIN_TEXT_CONF = 0.3  # recognised text below this mean character confidence is dropped (RapidOCR's text_score)


def _ocr_boxes(gray, first_page: bool = True) -> list:
    """Text boxes of a page: RapidOCR's detector, then its recogniser run on *strips*.

    RapidOCR recognises each box alone, padded to at least 320×48 pixels: a table cell holding "0"
    costs as much as a line of text, and tables are mostly such cells. Here the box crops (at the
    recogniser's 48 px height) are packed side by side into strips with white gaps, a strip is
    recognised in one pass, and each decoded character goes back to the crop under its CTC column:
    same model and decoding, ~4× less compute on table pages. Confidence per box: the mean of its
    characters' probabilities (as RapidOCR's).

    Recognition costs about the same per character, and body paragraphs hold most of a report's
    characters but nothing the tables need: lines wider than :data:`BODY_LINE_WIDTH` of the page are
    skipped (:data:`READ_BODY_TEXT`), except the top :data:`TITLE_LINES` of the first page (the title).
    Table cells are never that wide, headings and dates are short.
    """
    import cv2
    import numpy as np

    eng = _engine()
    img = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    dt_boxes, _ = eng.text_det(img)
    if dt_boxes is None or len(dt_boxes) == 0:
        return []
    quads = [np.asarray(q, dtype=np.float32).reshape(4, 2) for q in dt_boxes]
    skip: set[int] = set()
    if not READ_BODY_TEXT:
        page_w = gray.shape[1]
        wide = sorted((i for i, q in enumerate(quads) if q[:, 0].max() - q[:, 0].min() > BODY_LINE_WIDTH * page_w),
                      key=lambda i: quads[i][:, 1].min())
        skip = set(wide[TITLE_LINES:] if first_page else wide)
    crops = []
    for n, q in enumerate(quads):
        if n in skip:
            crops.append(None)
            continue
        w = int(max(np.linalg.norm(q[0] - q[1]), np.linalg.norm(q[2] - q[3])))
        h = int(max(np.linalg.norm(q[0] - q[3]), np.linalg.norm(q[1] - q[2])))
        if w < 2 or h < 2:
            crops.append(None)
            continue
        m = cv2.getPerspectiveTransform(q, np.float32([[0, 0], [w, 0], [w, h], [0, h]]))
        c = cv2.warpPerspective(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC)
        if h > 1.5 * w and w > 10 and h > 60:  # a vertical line of text
            c = np.rot90(c)
        crops.append(_to_rec_height(c))
    # recognise in reading order (neighbours in a strip have the same font size)
    order = sorted((i for i, c in enumerate(crops) if c is not None), key=lambda i: (quads[i][0][1], quads[i][0][0]))
    got = _recognize([crops[i] for i in order])
    texts = {i: tc for i, tc in zip(order, got) if tc[0] and tc[1] >= _MIN_TEXT_CONF}
    return [(quads[i], t, c) for i, (t, c) in sorted(texts.items())]


def _recognize(crops: list) -> list[tuple[str, float]]:
    """(text, mean character confidence) of each crop (BGR, already :data:`_REC_H` high), via strips."""
    import numpy as np

    rec = _engine().text_rec
    chars = rec.postprocess_op.character
    strips: list[list[int]] = []
    width = 0
    for i, c in enumerate(crops):
        cw = c.shape[1]
        if strips and width + _GAP + cw <= _STRIP_W:
            strips[-1].append(i)
            width += _GAP + cw
        else:
            strips.append([i])
            width = cw
    out: list[tuple[str, float]] = [("", 0.0)] * len(crops)
    strips.sort(key=lambda st: sum(crops[i].shape[1] for i in st) + _GAP * (len(st) - 1))
    for b0 in range(0, len(strips), _BATCH):
        batch = strips[b0:b0 + _BATCH]
        layouts = []
        imgs = []
        for st in batch:
            x, spans, parts = 0, [], []
            for k, i in enumerate(st):
                if k:
                    parts.append(np.full((_REC_H, _GAP, 3), 255, np.uint8))
                    x += _GAP
                parts.append(crops[i])
                spans.append((x, x + crops[i].shape[1]))
                x += crops[i].shape[1]
            layouts.append(spans)
            imgs.append(np.concatenate(parts, axis=1))
        bw = max(max(im.shape[1] for im in imgs), 320)
        norm = np.zeros((len(imgs), 3, _REC_H, bw), np.float32)  # padding as RapidOCR's (0 = mid grey)
        for k, im in enumerate(imgs):
            norm[k, :, :, :im.shape[1]] = (im.astype(np.float32).transpose(2, 0, 1) / 255 - 0.5) / 0.5
        preds = rec.session(norm)[0]
        idx, prob = preds.argmax(axis=2), preds.max(axis=2)
        for k, st in enumerate(batch):
            col = bw / idx.shape[1]
            spans = layouts[k]
            got: dict[int, list[tuple[str, float]]] = {}
            prev = 0
            for t in range(idx.shape[1]):
                ci = int(idx[k, t])
                if ci != 0 and ci != prev:
                    xc = (t + 0.5) * col
                    j = min(range(len(spans)), key=lambda n: 0 if spans[n][0] <= xc < spans[n][1]
                            else min(abs(xc - spans[n][0]), abs(xc - spans[n][1])))
                    got.setdefault(st[j], []).append((chars[ci], float(prob[k, t])))
                prev = ci
            for i, cs in got.items():
                out[i] = ("".join(c for c, _ in cs).strip(), sum(p for _, p in cs) / len(cs))
    return out


def _to_rec_height(crop):
    """A crop scaled to the recogniser's height (BGR)."""
    import cv2

    if crop.ndim == 2:
        crop = cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR)
    ch, cw = crop.shape[:2]
    return cv2.resize(crop, (max(4, int(round(cw * _REC_H / ch))), _REC_H), interpolation=cv2.INTER_CUBIC)


# ---------------------------------------------------------------- layout
@dataclass
class _Box:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    conf: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def h(self) -> float:
        return self.y1 - self.y0


def _skew_deg(boxes) -> float:
    """The page's skew: median slope (degrees) of the top edges of wide boxes."""
    angles = []
    for q, _, _ in boxes:
        dx, dy = q[1][0] - q[0][0], q[1][1] - q[0][1]
        hgt = abs(q[3][1] - q[0][1])
        if dx > 3 * max(hgt, 1):
            angles.append(math.degrees(math.atan2(dy, dx)))
    if len(angles) < 3:
        return 0.0
    angles.sort()
    return angles[len(angles) // 2]


def build_lines(gray, boxes, recognize: bool = True) -> tuple[list[str], list[tuple[str, float]]]:
    """Lines (tables as ``| cell | … |``) and numeric cells with confidence from a page's boxes.

    Tables are rebuilt from their rules: between two consecutive horizontal rule levels the vertical
    rules crossing the band cut it into slots; a slot whose top rule covers it is a cell (a rowspan
    cell is one slot, from its top rule to the next rule below that covers it). Boxes go to the slot
    holding their centre. A slot with ink but no box (the detector missed a lone digit) is recognised
    from its ink (``recognize``); an empty slot is an empty cell, as in HTML.
    """
    import cv2
    import numpy as np

    if not boxes:
        return [], []
    angle = _skew_deg(boxes)
    h, w = gray.shape[:2]
    if abs(angle) > 0.05:
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        gray = cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
        boxes = [(cv2.transform(q.reshape(1, 4, 2), m).reshape(4, 2), t, c) for q, t, c in boxes]
    bxs = [_Box(float(q[:, 0].min()), float(q[:, 1].min()), float(q[:, 0].max()), float(q[:, 1].max()), t, c)
           for q, t, c in boxes if t.strip()]
    _, ink = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    klen = max(40, w // 30)
    hmask = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (klen, 1)))
    _, _, stats, _ = cv2.connectedComponentsWithStats(hmask, connectivity=8)
    segs = sorted(((float(x), float(x + ww), float(y + hh / 2)) for x, y, ww, hh, _ in stats[1:]
                   if ww >= klen and hh <= 12), key=lambda r: r[2])
    # rule levels: segments within 4 px of each other are one level
    levels: list[tuple[float, list[tuple[float, float]]]] = []
    for x0, x1, y in segs:
        if levels and y - levels[-1][0] <= 4:
            levels[-1][1].append((x0, x1))
        else:
            levels.append((y, [(x0, x1)]))
    vink = cv2.dilate(ink, np.ones((1, 3), np.uint8))  # tolerate a pixel of residual skew

    def covers(level: int, x: float) -> bool:
        return any(a - 3 <= x <= b + 3 for a, b in levels[level][1])

    slots: dict[tuple[int, int, int], list] = {}  # (top level, x0, x1) -> [bottom level, boxes]
    for k in range(len(levels) - 1):
        yt, yb = levels[k][0], levels[k + 1][0]
        t, bt = int(yt + 3), int(yb - 2)
        if bt - t < 6:
            continue
        cov = vink[t:bt].mean(axis=0)
        cols = np.flatnonzero(cov >= 0.85)
        if len(cols) < 2:
            continue
        xs = [float(g.mean()) for g in np.split(cols, np.flatnonzero(np.diff(cols) > 3) + 1)]
        for a, b in zip(xs, xs[1:]):
            mid = (a + b) / 2
            if b - a < 8 or not covers(k, mid):
                continue
            bottom = next((j for j in range(k + 1, len(levels)) if covers(j, mid)), None)
            if bottom is not None:
                slots.setdefault((k, int(a), int(b)), [bottom, []])
    free: list[_Box] = []
    for b in bxs:
        best = None
        for (k, a, x1), (bot, _) in slots.items():
            if a <= b.cx <= x1 and levels[k][0] < b.cy < levels[bot][0]:
                area = (x1 - a) * (levels[bot][0] - levels[k][0])
                if best is None or area < best[0]:
                    best = (area, (k, a, x1))
        if best is None:
            free.append(b)
        else:
            slots[best[1]][1].append(b)
    # slots with ink but no box: the detector missed a lone digit; recognise the ink itself
    # and slots with ink no box covers (a minus sign the detector left out of "-23"): recognised whole
    missing: list[tuple[tuple[int, int, int], object]] = []
    if recognize:
        for key, (bot, bs) in slots.items():
            k, a, x1 = key
            y0, y1 = int(levels[k][0]) + 4, int(levels[bot][0]) - 3
            x0i, x1i = a + 4, x1 - 3
            if y1 - y0 < 8 or x1i - x0i < 6 or (bs and len(bs) > 2):
                continue
            sub = np.ascontiguousarray(ink[y0:y1, x0i:x1i])
            n, _, st, _ = cv2.connectedComponentsWithStats(sub, connectivity=8)
            if bs:  # only ink outside every box counts (a dash: wide and flat; a digit: tall)
                marks = [r for r in st[1:] if (r[4] >= 10 and r[3] >= 8) or _dash_like(r)]
                uncovered = not all(any(b.x0 - 1 <= x0i + r[0] + r[2] / 2 <= b.x1 + 1
                                        and b.y0 - 1 <= y0 + r[1] + r[3] / 2 <= b.y1 + 1 for b in bs) for r in marks)
                # a sign at the very edge of a number's box is often dropped by the recogniser: read again
                # with a margin
                b0 = bs[0]
                lost_sign = len(bs) == 1 and _NUMERIC.fullmatch(b0.text.strip()) and not b0.text.startswith("-") and any(
                    _dash_like(r) and x0i + r[0] + r[2] / 2 < b0.x0 + 0.35 * (b0.x1 - b0.x0) for r in marks)
                if not (uncovered or lost_sign):
                    continue
                comps = marks
            else:
                comps = [r for r in st[1:] if r[3] >= 8 and r[4] >= 12]
            if not comps:
                continue
            cx0 = max(0, min(r[0] for r in comps) - 4)
            cy0 = max(0, min(r[1] for r in comps) - 4)
            cx1 = min(sub.shape[1], max(r[0] + r[2] for r in comps) + 4)
            cy1 = min(sub.shape[0], max(r[1] + r[3] for r in comps) + 4)
            missing.append((key, gray[y0 + cy0:y0 + cy1, x0i + cx0:x0i + cx1]))
        if missing:
            # one crop per inference: in a packed strip the neighbours' context can swallow a lone minus sign
            got = [_recognize([_to_rec_height(c)])[0] for _, c in missing]
            for (key, crop), (text, conf) in zip(missing, got):
                if text and conf >= _MIN_TEXT_CONF:
                    k, a, x1 = key
                    slots[key][1][:] = [_Box(a, levels[k][0], x1, levels[slots[key][0]][0], text, conf)]

    items: list[tuple[float, str, list[tuple[str, float]]]] = []  # (y, line, numeric cells)
    rows: dict[int, list[tuple[int, str, float]]] = {}
    for (k, a, _), (_, bs) in slots.items():
        if bs:
            _, _, text, conf = _cell(0.0, bs)
        else:
            text, conf = "", 0.0
        rows.setdefault(k, []).append((a, text, conf))
    for k, cells in rows.items():
        cells.sort()
        if not any(t for _, t, _ in cells):
            continue
        nums = [(t, c) for _, t, c in cells if _NUMERIC.fullmatch(t)]
        items.append((levels[k][0] + 0.5, "| " + " | ".join(t for _, t, _ in cells) + " |", nums))
    # free text: lines by vertical overlap
    for ln in _reading_lines(free):
        items.append((min(x.y0 for x in ln), " ".join(_fix_text(x.text) for x in ln), []))
    items.sort(key=lambda it: it[0])
    return [it[1] for it in items], [nc for it in items for nc in it[2]]


def _dash_like(stat) -> bool:
    """A connected component shaped like a minus sign: flat, a few pixels wide."""
    _, _, w, h, area = stat
    return 4 <= w <= 40 and h <= max(3, w // 2) and area >= 4


def _reading_lines(boxes: list[_Box]) -> list[list[_Box]]:
    """Boxes grouped into lines (centres within half a box height), top to bottom, each left to right."""
    lines: list[list[_Box]] = []
    for b in sorted(boxes, key=lambda b: b.cy):
        if lines and abs(b.cy - sum(x.cy for x in lines[-1]) / len(lines[-1])) <= 0.5 * max(b.h, 1):
            lines[-1].append(b)
        else:
            lines.append([b])
    return [sorted(ln, key=lambda b: b.x0) for ln in lines]


def _cell(yt: float, boxes: list[_Box]) -> tuple[float, float, str, float]:
    """One table cell from its boxes: text in reading order (lines top to bottom), lowest confidence."""
    text = "".join(_fix_text(b.text).strip() for ln in _reading_lines(boxes) for b in ln)
    text = _fix_number(text)
    if not _NUMERIC.fullmatch(text):
        text = _snap_label(text)
    return yt, min(b.x0 for b in boxes), text, min(b.conf for b in boxes)


_LABELS: dict[str, str] | None = None


def _labels() -> dict[str, str]:
    """The template's printed labels (template.py), keyed by their compact NFKC form."""
    global _LABELS
    if _LABELS is None:
        from .template import COLUMNS, OUTCOME_PARENT_LABEL, PROCEEDINGS, RESULTS, T2_BLOCKS, T3_ROWS

        names = {OUTCOME_PARENT_LABEL, "法人或其他组织", "申请人情况", "信息内容", "行政复议", "行政诉讼"}
        names |= {lab for _, lab in COLUMNS} | {lab for _, lab in PROCEEDINGS} | {lab for _, lab in RESULTS}
        for rows in T3_ROWS.values():
            names |= {r.prefix + r.label for r in rows} | {r.group for r in rows if r.group}
        for blocks in T2_BLOCKS.values():
            for b in blocks:
                names |= {b.caption} | {m.label for m in b.measures} | {i.label for i in b.items}
        _LABELS = {"".join(n.split()): n for n in names}
    return _LABELS


def _snap_label(text: str) -> str:
    """A table label OCR misread by a character or two (a lost quote mark, 子 for 予) → the template's label."""
    import difflib
    import unicodedata

    key = "".join(unicodedata.normalize("NFKC", text).split())
    labels = _labels()
    if len(key) < 4 or key in labels:
        return text
    best = difflib.get_close_matches(key, labels.keys(), n=1, cutoff=0.85)
    if best:
        return labels[best[0]]
    if len(key) >= 10:  # the first line(s) of a wrapped label, its last line lost: match the label's start
        score, lab = max((difflib.SequenceMatcher(None, key, k[:len(key) + 1]).ratio(), k) for k in labels)
        if score >= 0.8:
            return labels[lab]
    return text


_NUMERIC = re.compile(r"[+\-]?\d[\d,]*(?:\.\d+)?元?")
_DIGITISH = re.compile(r"[+\-]?[\dOoIl|SB][\dOoIl|SB,.]*元?")
_ZERO_LOOKALIKES = frozenset(("o", "O", "。", "〇", "○", "()", "（）"))
_LETTER_DIGIT = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1", "S": "5", "B": "8"})


def _fix_text(text: str) -> str:
    """OCR text as the readers produce it: pipes (cell separators) never come from OCR."""
    return text.replace("|", "1") if _DIGITISH.fullmatch(text.strip()) else text.replace("|", " ")


def _fix_number(text: str) -> str:
    """A cell that reads as a number with letter look-alikes (O→0, l→1, S→5, B→8) is that number."""
    t = text.replace(" ", "").replace("，", ",").replace("．", ".")
    if t in _ZERO_LOOKALIKES:
        return "0"
    t = t.replace("。", ".")
    if _DIGITISH.fullmatch(t) and (any(ch.isdigit() for ch in t) or len(t) <= 2):
        t = t.translate(_LETTER_DIGIT)
        if _NUMERIC.fullmatch(t):
            return t
    return text


# ---------------------------------------------------------------- PDF pages without a text layer
def ocr_pdf_page(page, deadline: float | None = None, first_page: bool = True) -> OcrPage:
    """OCR one pypdfium2 page, rendered :data:`PAGE_WIDTH` pixels wide."""
    import numpy as np

    wpt, hpt = page.get_size()
    if wpt <= 0 or hpt <= 0:
        return OcrPage([], [], 0.0)
    scale = PAGE_WIDTH / wpt
    if wpt * hpt * scale * scale > MAX_IMAGE_PIXELS:
        raise OcrError(f"a PDF page is too large to OCR ({wpt:.0f}×{hpt:.0f} pt)")
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        arr = np.array(bitmap.to_numpy(), copy=True)
    finally:
        bitmap.close()
    if arr.ndim == 3:
        arr = arr[..., 0]
    if arr.min() > 245:  # a blank page: nothing to read
        return OcrPage([], [], 0.0)
    page_out = OcrPage([], [], 0.0)
    for k, part in enumerate(_split_tall(arr)):
        p = ocr_gray(part, deadline, first_page=first_page and k == 0)
        page_out.lines += p.lines
        page_out.cells += p.cells
        page_out.seconds += p.seconds
    return page_out


# ---------------------------------------------------------------- confidences → cells
def _num_text(v) -> str | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    if isinstance(v, float):
        if v == int(v) and abs(v) < 1e15:
            return str(int(v))
        return f"{v:.6f}".rstrip("0").rstrip(".")
    return str(v)


def _token_value(tok: str) -> str:
    t = tok.replace(",", "").rstrip("元").lstrip("+")
    if "." in t:
        t = t.rstrip("0").rstrip(".") or "0"
    return t


def align_confidences(ordered_cells: list[tuple[str, object]], tokens: list[tuple[str, float]]) -> dict[str, float]:
    """Each solved cell's OCR confidence: the cells (in printed order) aligned with the numeric OCR cells.

    ``ordered_cells``: (key, value) in the order the report prints them (t2, t3, t4); ``tokens``: the
    numeric table cells OCR read, in page order. A longest-common-subsequence alignment of the values
    (difflib) pairs each cell with the token that printed it; unpaired cells get no confidence.
    """
    import difflib

    a = [_num_text(v) or "\x00" for _, v in ordered_cells]
    b = [_token_value(t) for t, _ in tokens]
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    out: dict[str, float] = {}
    for i, j, n in sm.get_matching_blocks():
        for k in range(n):
            out[ordered_cells[i + k][0]] = round(tokens[j + k][1], 4)
    # cells in a replaced stretch of equal length: the token printed there (a misread digit)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "replace" and i2 - i1 == j2 - j1:
            for k in range(i2 - i1):
                out.setdefault(ordered_cells[i1 + k][0], round(tokens[j1 + k][1], 4))
    return out


# ---------------------------------------------------------------- invariant-guided repair
# digits an OCR engine confuses (print fonts, noise, JPEG): each digit → the digits it may really be
_CONFUSE = {"0": "869", "1": "74", "2": "7", "3": "85", "4": "1", "5": "63", "6": "058", "7": "12", "8": "0369",
            "9": "08"}


def digit_alternatives(value: int, max_alts: int = 64) -> list[int]:
    """Values a misread ``value`` may really be: one confused digit, one dropped or one stray digit."""
    s = str(value)
    if not s.isdigit():
        return []
    out: list[int] = []
    seen = {s}

    def add(t: str) -> None:
        if t and t not in seen and (t == "0" or not t.startswith("0")):
            seen.add(t)
            out.append(int(t))

    for i, ch in enumerate(s):
        for alt in _CONFUSE.get(ch, ""):
            add(s[:i] + alt + s[i + 1:])
    for i in range(len(s)):  # a stray digit (noise read as "1", a speck as "0")
        add(s[:i] + s[i + 1:])
    for i in range(len(s) + 1):  # a dropped digit
        for d in "0123456789":
            add(s[:i] + d + s[i:])
    return out[:max_alts]


def ocr_repair(version: str | None, t2: dict | None, t3: dict | None, t4: dict | None,
               errors: list[dict], ocr_cells: set[str], t2_version: str | None = None) -> tuple[dict | None, list]:
    """The repair when exactly one OCR alternative of one OCR-read cell makes every hard check pass.

    Returns (repair or None, every fixing alternative found as ``{cell: value}``). Only cells of
    tables 三 and 四 named by, or in the scope of, the broken checks are tried.
    """
    from .checks import hard_checks
    from .template import LEAVES

    if not errors:
        return None, []
    scope: set[str] | None = None
    for e in errors:
        cid, cell = e["check_id"], (e.get("cells") or [""])[0]
        s: set[str] = set()
        if cid in ("T3.H2", "T3.H5") and t3 is not None:
            row = cell.rsplit("__", 1)[0]
            s = {k for k in t3 if k.startswith(row + "__")}
            if cid == "T3.H5":
                col = cell.rsplit("__", 1)[-1]
                s |= {k for k in t3 if k.endswith("__" + col)}
        elif cid in ("T3.H1", "T3.H3") and t3 is not None and version in LEAVES:
            col = cell.rsplit("__", 1)[-1]
            rows = ("received_new", "carried_in", "outcome_total", "carried_out") if cid == "T3.H1" else \
                (*LEAVES[version], "outcome_total")
            s = {f"{r}__{col}" for r in rows if f"{r}__{col}" in t3}
        elif cid in ("T4.H1", "T4.H2") and t4 is not None:
            p = cell.rsplit("__", 1)[0]
            s = {k for k in t4 if k.startswith(p + "__")}
        else:
            return None, []  # a broken check OCR alternatives cannot address (t2 kinds, P.* problems)
        scope = s if scope is None else scope & s
    fixes: list[tuple[str, int, int]] = []
    for cell in sorted((scope or set()) & ocr_cells):
        table = t3 if t3 is not None and cell in t3 else t4
        old = table.get(cell)
        if not isinstance(old, int) or isinstance(old, bool):
            continue
        for new in digit_alternatives(old):
            table[cell] = new
            try:
                if not hard_checks(version, t2, t3, t4, t2_version):
                    fixes.append((cell, old, new))
            finally:
                table[cell] = old
    found = [{c: n} for c, _, n in fixes]
    if len(fixes) != 1:
        return None, found
    cell, old, new = fixes[0]
    broken = ", ".join(f"{e['check_id']} {(e.get('cells') or [''])[0]}" for e in errors)
    return ({"cells": {cell: new},
             "message": f"OCR read {cell} as {old}; reading it as {new} (the one OCR alternative that does) makes "
                        f"every hard check pass ({broken})"}, found)


# ---------------------------------------------------------------- the parse of a scan
OCR_DOUBT_CONF = 0.9  # an OCR-read table 二 cell below this confidence (no invariant guards it) is listed as a doubt
_KEEP_ORIGINS = frozenset(("blank_as_zero", "symbol_as_zero", "derived"))


def apply_ocr(out: dict, ocr_cells: list[tuple[str, float]], version: str | None, t2_version: str | None) -> None:
    """Mark a scan's parse (``out``, CONTRACT §3, checks already run): ``value_origin`` ``ocr`` for every
    printed cell, ``ocr_confidence`` per cell, the OCR-guided repair and the OCR doubts."""
    from .checks import hard_checks
    from .template import T4_KEYS, t2_keys, t3_keys

    t2, t3, t4 = out.get("t2"), out.get("t3"), out.get("t4")
    ordered: list[tuple[str, object]] = []
    for table, keys in ((t2, t2_keys(t2_version) if t2_version else ()), (t3, t3_keys(version) if version else ()),
                        (t4, T4_KEYS)):
        if table:
            ordered += [(k, table[k]) for k in keys if table.get(k) is not None]
    conf = align_confidences(ordered, ocr_cells)
    origin = out.setdefault("value_origin", {})
    for k, _ in ordered:
        if origin.get(k) not in _KEEP_ORIGINS:
            origin[k] = "ocr"
    out["ocr_confidence"] = {k: conf[k] for k, _ in ordered if k in conf}
    checks = out.setdefault("checks", [])
    errors = [c for c in checks if c.get("severity") == "error"]
    if errors and not any(c["check_id"].startswith("P.") for c in errors):
        hard = hard_checks(version, t2, t3, t4, t2_version)
        ocr_read = {k for k, _ in ordered if origin.get(k) == "ocr"}
        repair, found = ocr_repair(version, t2, t3, t4, hard, ocr_read, t2_version)
        if repair is not None:
            out["suggested_repair"] = repair
        elif len(found) > 1:
            out["suggested_repair"] = None  # several OCR readings fix it: no single repair to offer
            cells = sorted({c for f in found for c in f})
            alts = "; ".join(f"{c} = {v}" for f in found for c, v in f.items())
            checks.append({"check_id": "OCR.S1", "severity": "warn", "cells": cells, "expected": None, "actual": None,
                           "message": f"OCR.S1 several OCR readings each make every hard check pass ({alts}): "
                                      "no repair suggested, check the scan"})
    # a scan where OCR found some of the template's tables but not all: a table lost to OCR (a garbled header)
    # is never published as "absent"
    read = {name: out.get(name) is not None for name in ("t2", "t3", "t4")}
    if any(read.values()) and not all(read.values()):
        lost = [name for name, ok in read.items() if not ok]
        checks.append({"check_id": "P.OCR", "severity": "error", "cells": [], "expected": None, "actual": None,
                       "message": f"P.OCR table(s) {', '.join(lost)} not read from the scan (OCR could not find or "
                                  "read them): the report is held back rather than published without them"})
    # table 二 cells no invariant guards: a low-confidence reading is a doubt, its look-alikes listed
    for k, v in (t2 or {}).items():
        c = conf.get(k)
        if isinstance(v, int) and not isinstance(v, bool) and v >= 0 and c is not None and c < OCR_DOUBT_CONF:
            alts = [a for a in digit_alternatives(v) if len(str(a)) == len(str(v))]
            out.setdefault("ambiguous", {})[f"t2.ocr.{k}"] = [{k: v}] + [{k: a} for a in alts]
            checks.append({"check_id": "OCR.S2", "severity": "warn", "cells": [k], "expected": None, "actual": v,
                           "message": f"OCR.S2 {k} read as {v} with confidence {c:.2f} (< {OCR_DOUBT_CONF}): "
                                      f"look-alike readings listed in ambiguous"})
    # 本年增/减 read as a positive number: OCR drops a lone minus sign now and then, and no invariant would notice
    # (T2.H3 only bars a change below minus the previous year's count): the negative reading stays a candidate
    for k, v in (t2 or {}).items():
        if not k.endswith("__items_change") or origin.get(k) != "ocr" or not isinstance(v, int) or v <= 0:
            continue
        prev = (t2 or {}).get(k.replace("__items_change", "__items_prev_year"))
        if isinstance(prev, int) and prev - v < 0:
            continue  # -v would break T2.H3: the sign is not in doubt
        part = out.setdefault("ambiguous", {}).setdefault(f"t2.ocr.{k}", [{k: v}])
        part.append({k: -v})
        checks.append({"check_id": "OCR.S3", "severity": "warn", "cells": [k], "expected": None, "actual": v,
                       "message": f"OCR.S3 {k} read as +{v}: a minus sign lost by OCR cannot be excluded, -{v} "
                                  "listed in ambiguous"})
