"""Generated *scans*: a synthetic report drawn as page images, with scanner damage.

    from devtools.synth.scan import make_scan_case
    case = make_scan_case(seed=7, fmt="scan_pdf")     # an image-only PDF (no text layer)

The report comes from the same document model as every other renderer
(:func:`devtools.synth.render.build_document`): title, meta line, paragraphs and the three tables,
drawn with Noto CJK as ruled grids (rowspan/colspan merges, labels wrapped inside their cell),
page by page (A4 at ``dpi``). Then each page is damaged like a scan: a small rotation, blur,
Gaussian noise, uneven brightness and JPEG re-compression.

Formats (:data:`SCAN_FORMATS`): ``scan_png`` / ``scan_jpg`` (the pages stacked into one tall image,
the "长图" agencies post), ``scan_tif`` (multi-page TIFF) and ``scan_pdf`` (an image-only PDF: one
JPEG per page, no text layer). Deterministic given the seed. Dev tool: no dagster import.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from functools import lru_cache

from devtools.synth.case import Case
from devtools.synth.render import Block, Style, Table, build_document
from dagster_project.lib.parsing.template import C6, LEAVES
from devtools.synth.truth import InjectedError, inject_error, make_truth

__all__ = ["SCAN_FORMATS", "ScanOptions", "render_pages", "render_scan", "make_scan_case", "damage"]

SCAN_FORMATS = ("scan_png", "scan_jpg", "scan_tif", "scan_pdf")
SCAN_EXTENSION = {"scan_png": ".png", "scan_jpg": ".jpg", "scan_tif": ".tif", "scan_pdf": ".pdf"}

_FONT_DIR = "/usr/share/fonts/opentype/noto/"
_FONT_FILES = {"serif": "NotoSerifCJK-Regular.ttc", "sans": "NotoSansCJK-Regular.ttc"}
_SC_INDEX = 2  # Simplified Chinese face inside the Noto CJK collections (JP, KR, SC, TC, HK)


@dataclass
class ScanOptions:
    """How damaged the scan is (the defaults draw a moderate scanner per document)."""

    dpi: int = 150
    rotate_deg: float = 0.0  # page rotation (degrees, + = counter-clockwise)
    blur: float = 0.0  # Gaussian blur radius (pixels)
    noise: float = 0.0  # Gaussian noise sigma (0-255 scale)
    jpeg_quality: int = 90
    font: str = "serif"

    @classmethod
    def random(cls, rng: random.Random) -> "ScanOptions":
        return cls(dpi=rng.choice((150, 150, 170)), rotate_deg=rng.uniform(-1.2, 1.2), blur=rng.choice((0, 0.4, 0.7)),
                   noise=rng.uniform(3, 14), jpeg_quality=rng.randint(45, 85), font=rng.choice(("serif", "sans")))


@lru_cache(maxsize=16)
def _font(kind: str, px: int):
    from PIL import ImageFont

    return ImageFont.truetype(_FONT_DIR + _FONT_FILES[kind], px, index=_SC_INDEX)


def _wrap_px(text: str, font, width: float) -> list[str]:
    """Greedy character wrap of ``text`` to ``width`` pixels (explicit line breaks kept)."""
    out: list[str] = []
    for para in text.split("\n"):
        line = ""
        for ch in para:
            if line and font.getlength(line + ch) > width:
                out.append(line)
                line = ""
            line += ch
        out.append(line)
    return out


# relative column widths per table (by column count): labels wide, values narrow
_COL_WEIGHTS = {
    4: (2.2, 1.3, 1.3, 1.3),  # table 二
    10: (0.9, 1.25, 3.0) + (1.0,) * 7,  # table 三
    15: (1.0,) * 15,  # table 四
}


class _Pager:
    """Pages of a fixed size; draws text lines and tables top to bottom, breaking pages as needed."""

    def __init__(self, opts: ScanOptions):
        from PIL import Image, ImageDraw

        self._Image, self._ImageDraw = Image, ImageDraw
        self.opts = opts
        s = opts.dpi / 72.0
        self.w, self.h = int(595 * s), int(842 * s)
        self.margin = int(50 * s)
        self.s = s
        self.pages: list = []
        self._new_page()

    def _new_page(self) -> None:
        img = self._Image.new("L", (self.w, self.h), 255)
        self.pages.append(img)
        self.draw = self._ImageDraw.Draw(img)
        self.y = self.margin

    def ensure(self, height: float) -> None:
        if self.y + height > self.h - self.margin:
            self._new_page()

    def text(self, text: str, pt: float, *, center: bool = False, right: bool = False, indent: float = 0) -> None:
        font = _font(self.opts.font, max(8, int(pt * self.s)))
        width = self.w - 2 * self.margin
        for ln in _wrap_px(text, font, width - indent):
            lh = font.size * 1.55
            self.ensure(lh)
            tw = font.getlength(ln)
            x = self.margin + indent
            if center:
                x = (self.w - tw) / 2
            elif right:
                x = self.w - self.margin - tw
            self.draw.text((x, self.y), ln, fill=0, font=font)
            self.y += lh

    def table(self, table: Table, pt: float = 8.5) -> None:
        font = _font(self.opts.font, max(8, int(pt * self.s)))
        width = self.w - 2 * self.margin
        weights = _COL_WEIGHTS.get(table.ncols, (1.0,) * table.ncols)
        xs = [self.margin]
        for wgt in weights:
            xs.append(xs[-1] + width * wgt / sum(weights))
        pad = 0.25 * font.size
        # place cells on the grid (source order, skipping positions covered by spans above)
        taken: set[tuple[int, int]] = set()
        placed: list[tuple[int, int, object]] = []
        for r, row in enumerate(table.rows):
            c = 0
            for cell in row:
                while (r, c) in taken:
                    c += 1
                placed.append((r, c, cell))
                for dr in range(cell.rowspan):
                    for dc in range(cell.colspan):
                        taken.add((r + dr, c + dc))
                c += cell.colspan
        nrows = len(table.rows)
        wrapped = {}
        heights = [font.size * 1.3 + 2 * pad] * nrows
        for r, c, cell in placed:
            cw = xs[min(c + cell.colspan, table.ncols)] - xs[c] - 2 * pad
            text = cell.text.replace("\u00a0", " ").strip()
            lines = _wrap_px(text, font, cw) if text else []
            wrapped[(r, c)] = lines
            if cell.rowspan == 1:
                heights[r] = max(heights[r], len(lines) * font.size * 1.25 + 2 * pad)
        for r, c, cell in placed:  # a rowspan cell taller than its rows: grow its last row
            if cell.rowspan > 1:
                need = len(wrapped[(r, c)]) * font.size * 1.25 + 2 * pad
                have = sum(heights[r:r + cell.rowspan])
                if need > have:
                    heights[r + cell.rowspan - 1] += need - have
        # rows start a new page when they do not fit (a rowspan block is kept together)
        span_end = list(range(nrows))
        for r, c, cell in placed:
            for k in range(r, r + cell.rowspan):
                span_end[k] = max(span_end[k], min(nrows - 1, r + cell.rowspan - 1))
        r0 = 0
        while r0 < nrows:
            r1 = r0
            while True:  # extend the chunk over every span it opens
                end = max(span_end[r0:r1 + 1])
                if end == r1:
                    break
                r1 = end
            block_h = sum(heights[r0:r1 + 1])
            if self.y + block_h > self.h - self.margin and self.y > self.margin + 1:
                self._new_page()
            ys = [self.y]
            for k in range(r0, r1 + 1):
                ys.append(ys[-1] + heights[k])
            for r, c, cell in placed:
                if not r0 <= r <= r1:
                    continue
                x0, x1 = xs[c], xs[min(c + cell.colspan, table.ncols)]
                y0, y1 = ys[r - r0], ys[r - r0 + cell.rowspan]
                self.draw.rectangle((x0, y0, x1, y1), outline=0, width=max(1, int(0.6 * self.s)))
                lines = wrapped[(r, c)]
                th = len(lines) * font.size * 1.25
                ty = (y0 + y1 - th) / 2
                for ln in lines:
                    tw = font.getlength(ln)
                    tx = (x0 + x1 - tw) / 2 if cell.kind != "label" or tw > (x1 - x0) * 0.6 else x0 + pad
                    self.draw.text((tx, ty), ln, fill=0, font=font)
                    ty += font.size * 1.25
            self.y = ys[-1]
            r0 = r1 + 1
        self.y += font.size


def render_pages(doc: list[Block], opts: ScanOptions) -> list:
    """The document drawn on clean white A4 pages (PIL ``L`` images)."""
    p = _Pager(opts)
    for b in doc:
        if b.kind == "title":
            p.text(b.text, 14, center=True)
        elif b.kind == "meta":
            p.text(f"发布时间：{b.fields['发布时间']}", 10, center=True)
        elif b.kind == "heading":
            p.text(b.text, 11.5)
        elif b.kind == "para":
            p.text(b.text, 10.5, indent=2 * 10.5 * p.s)
        elif b.kind == "table":
            assert b.table is not None
            p.table(b.table)
        elif b.kind == "sign":
            p.y += 20 * p.s
            p.text(b.fields["agency"], 10.5, right=True)
            p.text(b.fields["date"], 10.5, right=True)
    return p.pages


def damage(page, opts: ScanOptions, rng: random.Random):
    """Scanner damage: uneven light, rotation, blur, Gaussian noise, JPEG re-compression (``L`` image)."""
    import numpy as np
    from PIL import Image, ImageFilter

    img = page
    if opts.rotate_deg:
        img = img.rotate(opts.rotate_deg, resample=Image.BICUBIC, expand=False, fillcolor=255)
    if opts.blur:
        img = img.filter(ImageFilter.GaussianBlur(opts.blur))
    a = np.asarray(img, dtype=np.float32)
    h, w = a.shape
    nr = np.random.default_rng(rng.randrange(2**32))
    shade = np.linspace(rng.uniform(-18, 0), rng.uniform(-18, 0), w, dtype=np.float32)[None, :]
    a = a * rng.uniform(0.85, 1.0) + shade + nr.normal(0, opts.noise, a.shape).astype(np.float32)
    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "L")
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=opts.jpeg_quality)
    buf.seek(0)
    out = Image.open(buf)
    out.load()
    return out


def render_scan(doc: list[Block], fmt: str, rng: random.Random, opts: ScanOptions | None = None) -> bytes:
    """The document as a damaged scan in ``fmt`` (one of :data:`SCAN_FORMATS`)."""
    return render_scan_pages(doc, fmt, rng, opts)[0]


def render_scan_pages(doc: list[Block], fmt: str, rng: random.Random,
                      opts: ScanOptions | None = None) -> tuple[bytes, int]:
    """:func:`render_scan` and the number of pages drawn."""
    from PIL import Image

    if fmt not in SCAN_FORMATS:
        raise ValueError(f"unknown scan format {fmt!r}; expected one of {SCAN_FORMATS}")
    opts = opts or ScanOptions.random(rng)
    pages = [damage(p, opts, rng) for p in render_pages(doc, opts)]
    buf = io.BytesIO()
    if fmt == "scan_pdf":
        pages[0].save(buf, "PDF", save_all=True, append_images=pages[1:], resolution=float(opts.dpi))
    elif fmt == "scan_tif":
        pages[0].save(buf, "TIFF", save_all=True, append_images=pages[1:], compression="tiff_deflate",
                      dpi=(opts.dpi, opts.dpi))
    else:
        tall = Image.new("L", (pages[0].width, sum(p.height for p in pages)), 255)
        y = 0
        for p in pages:
            tall.paste(p, (0, y))
            y += p.height
        if fmt == "scan_jpg":
            tall.save(buf, "JPEG", quality=opts.jpeg_quality)
        else:
            tall.save(buf, "PNG", optimize=False, compress_level=3)
    return buf.getvalue(), len(pages)


def scan_style(rng: random.Random) -> Style:
    """Rendering choices for a printed-then-scanned report: zeros print as 0, no text-only quirks."""
    return Style(fullwidth=rng.random() < 0.9, zero="0", title_year_word=rng.choice(("年", "年", "年度")),
                 yuan_suffix=rng.random() < 0.7, plus_sign=rng.random() < 0.5,
                 quirks=frozenset(q for q in ("typos", "label_notes", "footnote") if rng.random() < 0.15))


# a digit printed as one an OCR engine takes it for (what ``misprint`` prints instead of the true digit)
_MISPRINT = {"1": "7", "3": "8", "5": "6", "6": "5", "7": "1", "8": "3", "9": "8", "0": "8", "2": "7", "4": "1"}


def misprint_cell(truth, rng: random.Random) -> tuple[object, InjectedError]:
    """The truth with one table 三 leaf cell (≥ 1, not a total) printed with one digit swapped for its OCR
    look-alike (3→8, 1→7 …): what the scan shows when OCR misreads it. Breaks T3.H2 and T3.H3."""
    out = truth.copy()
    leaves = LEAVES[truth.version]
    keys = [f"{r}__{c}" for r in leaves for c in C6 if out.t3[f"{r}__{c}"] > 0]
    key = rng.choice(keys) if keys else f"{leaves[0]}__{C6[0]}"
    old = out.t3[key]
    s = str(old)
    i = rng.randrange(len(s))
    new = int(s[:i] + _MISPRINT[s[i]] + s[i + 1:])
    out.t3[key] = new
    row, col = key.split("__")
    return out, InjectedError(table="t3", cell=key, old=old, new=new, checks=[("T3.H2", row), ("T3.H3", col)])


def make_scan_case(seed: int, fmt: str = "scan_pdf", version: str | None = None, *, scale: str = "mixed",
                   inject: bool = False, misprint: bool = False, opts: ScanOptions | None = None) -> Case:
    """A reproducible generated scan and the truth it must parse back to.

    ``inject``: one table 三/四 cell changed so hard checks break (truth.inject_error); ``misprint``: one
    table 三 leaf digit printed as its OCR look-alike (:func:`misprint_cell`). Either way ``case.truth`` is
    what the scan prints and ``case.injected`` says what was changed (``old`` is the consistent value).
    """
    args = dict(seed=seed, fmt=fmt, version=version, scale=scale, inject=inject, misprint=misprint)
    args = {k: v for k, v in args.items() if v is not None and not (k in ("inject", "misprint") and not v)}
    rng = random.Random(seed)
    truth = make_truth(rng, version, scale=scale)
    info = None
    if inject:
        truth, info = inject_error(truth, rng)
    elif misprint:
        truth, info = misprint_cell(truth, rng)
    style = scan_style(rng)
    doc = build_document(truth, style, rng)
    data, pages = render_scan_pages(doc, fmt, rng, opts)
    name = f"{truth.agency_name}{truth.report_year}年政府信息公开工作年度报告{SCAN_EXTENSION[fmt]}"
    return ScanCase(seed=seed, fmt=fmt, truth=truth, data=data, name=name, injected=info, args=args, pages=pages)


@dataclass
class ScanCase(Case):
    """A generated scan: a :class:`~devtools.synth.case.Case` plus its page count."""

    pages: int = 1

    def repro(self) -> str:
        kw = ", ".join(f"{k}={v!r}" for k, v in self.args.items())
        return f"from devtools.synth.scan import make_scan_case; c = make_scan_case({kw})"
