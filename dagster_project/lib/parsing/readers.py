"""Readers: one report file's bytes → a ``Document`` of normalised text lines.

Every format ends up in the same shape, so one table parser serves them all:

* plain text: its lines, as they are;
* HTML and DOCX: block elements become lines; each table row becomes one line
  ``| cell | cell | … |`` holding its *physical* cells (a rowspan/colspan cell appears once,
  in the row where it starts), so real cell boundaries survive;
* PDF: the text layer, page by page (cells come out separated by spaces or line breaks).

Text is NFKC-normalised (full-width digits and brackets become ASCII), ``&nbsp;`` and
U+3000 become spaces, and a report pasted twice is cut back to one copy
(paragraph-hash dedupe, domain.md §4.3).
"""

from __future__ import annotations

import io
import re
import threading
import time
import unicodedata
import zipfile
from dataclasses import dataclass, field

__all__ = ["Document", "ReadError", "read_document", "sniff_format", "normalize_text"]


class ReadError(Exception):
    """The bytes cannot be read as a document of the claimed format."""


@dataclass
class Document:
    """A report reduced to normalised text lines plus page metadata found on the way."""

    fmt: str
    lines: list[str]
    meta: dict[str, str] = field(default_factory=dict)
    # scans only: the numeric table cells OCR read, (text, confidence) in page order (ocr.align_confidences)
    ocr_cells: list[tuple[str, float]] | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


_EXT_FORMAT = {
    "txt": "txt", "text": "txt", "md": "txt", "csv": "txt",
    "html": "html", "htm": "html", "shtml": "html", "xhtml": "html", "jsp": "html", "php": "html", "asp": "html",
    "aspx": "html",
    "docx": "docx", "pdf": "pdf",
    "png": "image", "jpg": "image", "jpeg": "image", "tif": "image", "tiff": "image", "bmp": "image",
    "gif": "image", "webp": "image",
}

# magic bytes of the image formats read by OCR (ocr.py)
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"GIF87a", b"GIF89a")


def sniff_format(data: bytes, name: str) -> str:
    """The format of a file from its magic bytes, then its extension (``txt`` when in doubt)."""
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF"):
        return "pdf"
    if data[:4] == b"PK\x03\x04":
        return "docx" if _looks_docx(data) else "zip"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "doc"
    if data.startswith(_IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return "image"
    low = head[:512].lower()
    if low.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<html" in low or b"<table" in low or (
        b"<p" in low and b"</" in low
    ):
        return "html"
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return _EXT_FORMAT.get(ext, "txt")


def _looks_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return "word/document.xml" in zf.namelist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return False


# ---------------------------------------------------------------- text normalisation
_ENTITY_RE = re.compile(r"&(?:nbsp|ensp|emsp|#160|#12288);", re.I)


def normalize_text(text: str) -> str:
    """NFKC, odd spaces → space, literal ``&nbsp;`` → space, CRLF → LF.

    Done with ``in`` / ``str.replace`` per character (C scans of a few µs) where possible:
    ``str.translate`` and regex substitutions cost tens of ns per character of the text.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if "&" in text:
        text = _ENTITY_RE.sub(" ", text)
    for ch in _ODD_SPACES:
        if ch in text:
            text = text.replace(ch, " ")
    for ch in _ZERO_WIDTHS:
        if ch in text:
            text = text.replace(ch, "")
    if unicodedata.is_normalized("NFKC", text):
        return text
    # the full-width forms reports use all the time, replaced by their NFKC forms (ASCII
    # starters that compose with nothing, so this never changes what NFKC makes of the rest)
    for wide, narrow in _COMMON_WIDE:
        if wide in text:
            text = text.replace(wide, narrow)
    if unicodedata.is_normalized("NFKC", text):
        return text
    # NFKC costs ~140 ns per CJK ideograph, which it never changes: normalise only the runs of
    # other non-ASCII characters (full-width forms, radicals, compatibility ideographs)
    return _NON_CJK_RUN.sub(_nfkc_run, text)


_ODD_SPACES = "\u00a0\u3000\u2002\u2003\u2009\r\x0b\x0c"  # each becomes a space
_ZERO_WIDTHS = "\u200b\ufeff"  # each is dropped
_COMMON_WIDE = tuple((ch, unicodedata.normalize("NFKC", ch)) for ch in "（），：；０１２３４５６７８９．／－＋％！？")


_NON_CJK_RUN = re.compile(r"[^\x00-\x7f\u4e00-\u9fff]+")
_NFKC_CACHE: dict[str, str] = {}


def _nfkc_run(m: re.Match) -> str:
    run = m.group()
    out = _NFKC_CACHE.get(run)
    if out is None:
        out = unicodedata.normalize("NFKC", run)
        if len(_NFKC_CACHE) < 50_000:
            _NFKC_CACHE[run] = out
    return out


# ---------------------------------------------------------------- decoding
_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_XML_ENC_RE = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_\-]+)""", re.I)
_CHINESE_FAMILY = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn"}


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Decode report bytes: BOM, declared charset, strict UTF-8, GB18030, then detection."""
    return _decode(data, declared)[0]


def _decode(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """(text, encoding used)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"
    candidates: list[str] = []
    if declared:
        enc = declared.lower()
        candidates.append("gb18030" if enc in _CHINESE_FAMILY else enc)
    candidates += ["utf-8", "gb18030"]
    for enc in candidates:
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        if enc == "gb18030" and not _plausible_chinese(text):
            continue
        return text, enc
    from charset_normalizer import from_bytes  # lazy: only for odd encodings

    best = from_bytes(data).best()
    if best is None:
        raise ReadError("cannot determine the text encoding")
    return str(best), best.encoding


_UNCOMMON = re.compile("[^\x00-\x7f\u4e00-\u9fff\u3000-\u303f\uff00-\uffef“”‘’…—·]")


def _plausible_chinese(text: str) -> bool:
    """GB18030 decodes almost any bytes; accept it only if the result is mostly common CJK/ASCII."""
    sample = text[:4000]
    return not sample or len(_UNCOMMON.findall(sample)) / len(sample) < 0.1


_BAD_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufffd\ue000-\uf8ff]")


def _check_texty(text: str) -> None:
    """Reject binary junk that happens to decode."""
    sample = text[:4000]
    if not sample.strip():
        raise ReadError("the file is empty")
    # quick exact test first: control and private-use characters are not printable, so a sample
    # that is printable apart from line breaks and tabs (and holds no U+FFFD) has none at all
    if "\ufffd" not in sample and sample.replace("\n", "").replace("\t", "").replace("\r", "").isprintable():
        return
    if len(_BAD_CHARS.findall(sample)) / len(sample) > 0.05:
        raise ReadError("binary data, not text")


# ---------------------------------------------------------------- plain text
def read_text(data: bytes) -> Document:
    text = decode_bytes(data)
    _check_texty(text)
    if "<" in text and _EMBEDDED_TABLE.search(text):
        # Markdown (or text) carrying its tables as HTML, as MinerU and pandoc write them: read the markup
        doc = read_html(text.encode("utf-8"))
        return Document("txt", doc.lines, doc.meta)
    if "<br" in text or "<BR" in text:  # a line break inside a converter's pipe-table cell: the cell's text goes on
        text = _BR_TAG.sub("", text)
    lines = normalize_text(text).split("\n")
    if "|" in text:
        # converters' placeholder header rows ("| 类别 | 数据1 | … | 数据6 | 总计 |") and Markdown rules name no
        # cell; the placeholder's 总计 would otherwise be taken for the （七）总计 row
        lines = [ln for ln in lines if not (_MD_RULE.match(ln) or _PLACEHOLDER_ROW.match(ln))]
    return Document("txt", dedupe_lines(lines))


_BR_TAG = re.compile(r"<br\s*/?>", re.I)
_EMBEDDED_TABLE = re.compile(r"<table[\s>][\s\S]*?<t[dh][\s>]", re.I)
_MD_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_PLACEHOLDER = r"(?:数据|列|栏|第|Column|column|col|Col|C)\s*\d{1,2}\s*列?"
_PLACEHOLDER_ROW = re.compile(r"^\s*\|?\s*(?:类别|项目|指标|名称|序号|分类)?\s*\|\s*(?:" + _PLACEHOLDER + r"\s*\|\s*){2,}"
                              r"(?:(?:总计|合计)\s*\|?)?\s*$")


def dedupe_lines(lines: list[str]) -> list[str]:
    """Drop the second copy of a report pasted twice: long lines already seen are removed.

    Only lines of 12+ characters with Chinese text count (table rows of one number, "0",
    "总计" … legitimately repeat).
    """
    seen: set[str] = set()
    out = []
    add = out.append
    for line in lines:
        if len(line) >= 12 and line[0] != "|":  # table rows repeat legitimately
            key = "".join(line.split())
            if len(key) >= 12 and _CJK.search(key):
                if key in seen:
                    continue
                seen.add(key)
        add(line)
    return out


_CJK = re.compile(r"[\u4e00-\u9fff]")


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# ---------------------------------------------------------------- HTML
_BLOCK_TAGS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li ul ol section article header footer br tr table title pre blockquote dd dt dl "
    "center form nav aside main".split()
)
_SKIP_TAGS = frozenset("script style noscript template iframe svg select option head button".split())


def _html_parser():
    from lxml import etree

    global _HTML_PARSER
    if _HTML_PARSER is None:
        # huge_tree: libxml2 otherwise stops at 256 levels of nesting and silently drops what is deeper (a report
        # wrapped in 300 <div>s lost its tables); sizes are bounded by the ingest's file-size limit anyway
        _HTML_PARSER = etree.HTMLParser(remove_comments=True, no_network=True, recover=True, encoding="utf-8",
                                        huge_tree=True)
    return _HTML_PARSER


_HTML_PARSER = None
_HTML_XSLT = None

_ETREE = None


def _etree():
    """lxml.etree, imported on first use (an import statement in the hot path costs ~10 µs a call)."""
    global _ETREE
    if _ETREE is None:
        from lxml import etree

        _ETREE = etree
    return _ETREE

# HTML → lines in libxslt (C), not a Python walk: block elements end lines; a leaf table (no
# table inside) becomes one "| cell | cell |" line per row with each cell's whitespace
# collapsed (<p>/<br> inside a cell join without a separator, as Word splits labels).
_BLOCKS_XPATH = "|".join(sorted(_BLOCK_TAGS - {"table", "tr"}))
_SKIP_XPATH = "|".join(sorted(_SKIP_TAGS))
_XSLT_SOURCE = f"""<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text" encoding="UTF-8"/>
<xsl:template match="{_SKIP_XPATH}"/>
<xsl:template match="table[not(.//table)]">
  <xsl:text>&#10;</xsl:text>
  <xsl:for-each select=".//tr">
    <xsl:text>|</xsl:text>
    <xsl:for-each select="td|th"><xsl:text> </xsl:text><xsl:value-of select="normalize-space(.)"/><xsl:text> |</xsl:text></xsl:for-each>
    <xsl:text>&#10;</xsl:text>
  </xsl:for-each>
</xsl:template>
<xsl:template match="{_BLOCKS_XPATH}|table|tr"><xsl:text>&#10;</xsl:text><xsl:apply-templates/><xsl:text>&#10;</xsl:text></xsl:template>
</xsl:stylesheet>"""


def _html_to_lines():
    from lxml import etree

    global _HTML_XSLT
    if _HTML_XSLT is None:
        # regexp=False: no EXSLT regular-expression functions to register on every call (~8% of a transform)
        _HTML_XSLT = etree.XSLT(etree.fromstring(_XSLT_SOURCE.encode()), regexp=False)
    return _HTML_XSLT


def read_html(data: bytes) -> Document:
    etree = _etree()
    head = data[:4096]
    m = _META_CHARSET_RE.search(head) or _XML_ENC_RE.search(head)
    text, enc = _decode(data, m.group(1).decode("ascii", "ignore") if m else None)
    _check_texty(text)
    # libxml2 parses UTF-8 bytes twice as fast as a Python str: hand it UTF-8 bytes, with the
    # encoding fixed on the parser so a wrong <meta charset> cannot override what we decoded
    raw = data if enc == "utf-8" else text.encode("utf-8")
    raw = re.sub(rb"^\s*<\?xml[^>]*\?>", b"", raw)
    try:
        root = etree.fromstring(raw, _html_parser())
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise ReadError(f"not parseable as HTML: {exc}") from exc
    if root is None:
        raise ReadError("not parseable as HTML: empty document")
    meta: dict[str, str] = {}
    title_el = None
    for el in _meta_and_title(root, raw):
        if el.tag == "title":
            if title_el is None:
                title_el = el  # the first <title> in document order
            continue
        name = (el.get("name") or el.get("property") or "").strip()
        if name and el.get("content"):
            meta[name.lower()] = normalize_text(el.get("content"))
    if title_el is not None and "".join(title_el.itertext()).strip():
        meta["title"] = normalize_text("".join(title_el.itertext()).strip())
    body = root.find("body")
    flat = str(_html_to_lines()(body if body is not None else root))
    lines = list(filter(None, map(str.strip, normalize_text(flat).split("\n"))))
    return Document("html", dedupe_lines(lines), meta)


def _meta_and_title(root, raw: bytes) -> list:
    """Every <meta> and <title> element in document order.

    Walking the whole tree costs ~60 µs a page (~200 µs for Word HTML). When <head> holds every
    <meta> the bytes spell (counted case-insensitively) and a <title>, the rest of the tree cannot
    add a meta, nor a title before the head's: <head> alone is walked.
    """
    head = root.find("head")
    if head is not None:
        found = list(head.iter("meta", "title"))
        metas = sum(1 for el in found if el.tag == "meta")
        # every parsed <meta> comes from a "<meta" in the bytes, so when the tags starting "<m"
        # (an upper bound) or else the "<meta" spelled in any case number no more, there is no other
        if metas < len(found) and (raw.count(b"<m") + raw.count(b"<M") == metas
                                   or raw.lower().count(b"<meta") == metas):
            return found
    return list(root.iter("meta", "title"))


# ---------------------------------------------------------------- DOCX
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def read_docx(data: bytes) -> Document:
    """Paragraphs and tables of a DOCX body, in document order (physical table cells)."""
    from lxml import etree

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            xml = zf.read("word/document.xml")
            core = zf.read("docProps/core.xml") if "docProps/core.xml" in zf.namelist() else b""
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, zipfile.LargeZipFile) as exc:
        raise ReadError(f"not a readable DOCX file: {exc}") from exc
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        raise ReadError(f"DOCX body is not valid XML: {exc}") from exc
    body = root.find(f"{_W}body")
    if body is None:
        raise ReadError("DOCX has no document body")
    lines: list[str] = []
    for child in body:
        _docx_block(child, lines)
    meta: dict[str, str] = {}
    if core:
        m = re.search(rb"<dc:title>([^<]+)</dc:title>", core)
        if m:
            meta["title"] = normalize_text(m.group(1).decode("utf-8", "replace"))
    lines = normalize_text("\n".join(lines)).split("\n")
    return Document("docx", dedupe_lines(lines), meta)


def _docx_block(el, lines: list[str]) -> None:
    if el.tag == f"{_W}p":
        text = "".join((t.text or "") if t.tag == f"{_W}t" else "\t" for t in el.iter(f"{_W}t", f"{_W}tab"))
        if text.strip():
            lines.append(text)
    elif el.tag == f"{_W}tbl":
        for tr in el.iter(f"{_W}tr"):
            cells = []
            for tc in tr.findall(f"{_W}tc"):
                vmerge = tc.find(f"{_W}tcPr/{_W}vMerge")
                if vmerge is not None and vmerge.get(f"{_W}val") not in ("restart",):
                    continue  # continuation of a vertically merged cell: not a physical cell here
                text = "".join(t.text or "" for t in tc.iter(f"{_W}t"))
                cells.append(" ".join(text.split()))
            if cells:
                lines.append("| " + " | ".join(cells) + " |")
    elif el.tag == f"{_W}sdt":
        content = el.find(f"{_W}sdtContent")
        if content is not None:
            for child in content:
                _docx_block(child, lines)


# ---------------------------------------------------------------- PDF
# Where pdfium looks for a font to stand in for a CJK font the PDF names but does not embed (STSong-Light,
# SimSun… common in generated and Word-exported reports). pdfium needs one to place the characters: with no
# CJK font it drops characters of wrapped cells (社会公益组织 → 社会公益组); with pdfium's default search of
# all system fonts the text depends on what the machine has, and Noto CJK (CFF outlines in a 26 MB TTC)
# costs ~24 ms a document against ~5 ms for WenQuanYi Micro Hei (TrueType; Debian fonts-wqy-microhei,
# installed by `make system-deps`), whose text is identical (tests/unit/test_pdf_font.py).
# The first directory of this list that exists becomes pdfium's only font directory; none → pdfium's default.
PDF_FONT_DIRS = ("/usr/share/fonts/truetype/wqy",)
_pdf_font_dir: list[str | None] = []  # once per process: the directory in use (None: pdfium's default)
_pdf_font_keepalive: list[object] = []  # pdfium keeps the config's path pointers: they must outlive it


_pdf_font_lock = threading.Lock()


def pdf_font_dir() -> str | None:
    """Configure pdfium's CJK substitution font (once per process); the directory in use, None for the default."""
    if _pdf_font_dir:
        return _pdf_font_dir[0]
    with _pdf_font_lock:
        if not _pdf_font_dir:
            _pdf_font_dir.append(_configure_pdf_font())
    return _pdf_font_dir[0]


def _configure_pdf_font() -> str | None:
    # pypdfium2 (pinned) offers no public way to pass pdfium's font paths: its library scope is re-run by hand
    import ctypes
    import os

    import pypdfium2._library_scope as scope
    import pypdfium2.raw as pdfium_c

    chosen = next((d for d in PDF_FONT_DIRS if os.path.isdir(d) and os.listdir(d)), None)
    if chosen is not None and any(wref() is not None for refs in scope.bases.ObjectTracker.values() for wref in refs):
        chosen = None  # something else in this process holds pdfium objects: re-initialising would close them
    if chosen is not None:
        # pypdfium2 initialises pdfium at import with the default font search; nothing is open here (checked
        # above), so re-initialising it with one font directory is safe.
        char_p = ctypes.POINTER(ctypes.c_char)
        path = ctypes.create_string_buffer(chosen.encode())
        paths = (char_p * 2)(ctypes.cast(path, char_p), None)
        config = pdfium_c.FPDF_LIBRARY_CONFIG(
            version=2, m_pUserFontPaths=ctypes.cast(paths, ctypes.POINTER(char_p)), m_pIsolate=None,
            m_v8EmbedderSlot=0)
        scope.destroy_lib()
        _pdf_font_keepalive.extend((path, paths, config))
        pdfium_c.FPDF_InitLibraryWithConfig(config)
        scope.bases.LIBRARY_AVAILABLE = True
    return chosen


def read_pdf(data: bytes) -> Document:
    import pypdfium2 as pdfium

    pdf_font_dir()
    try:
        pdf = pdfium.PdfDocument(data)
    except Exception as exc:  # pdfium raises PdfiumError and friends for any damage
        raise ReadError(f"not a readable PDF: {exc}") from exc
    ocr_cells: list[tuple[str, float]] | None = None
    try:
        pages = []
        scanned: list[int] = []  # pages with no text layer but an image: read by OCR
        for i in range(len(pdf)):
            page = pdf[i]
            try:
                tp = page.get_textpage()
                pages.append(tp.get_text_range())
                tp.close()
                if not pages[-1].strip() and _has_image(page):
                    scanned.append(i)
            finally:
                page.close()
        if scanned:
            ocr_cells = _ocr_pdf_pages(pdf, scanned, pages)
        meta: dict[str, str] = {}
        try:
            info = pdf.get_metadata_dict()
            if info.get("Title"):
                meta["title"] = normalize_text(info["Title"])
        except Exception:  # metadata is optional
            pass
    except ReadError:
        raise
    except Exception as exc:
        raise ReadError(f"cannot extract the PDF text layer: {exc}") from exc
    finally:
        pdf.close()
    text = normalize_text("\n".join(pages))
    if not text.strip():
        raise ReadError("the PDF has no text layer and OCR found no text on its pages" if ocr_cells is not None
                        else "the PDF has no text: no text layer and no scanned page image")
    lines = [ln for ln in text.split("\n") if not _PAGE_NUMBER.match(ln)]
    return Document("pdf", dedupe_lines(lines), meta, ocr_cells=ocr_cells)


def _has_image(page) -> bool:
    """Whether a PDF page draws at least one image (a scanned page)."""
    import pypdfium2.raw as pdfium_c

    return next(iter(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2)), None) is not None


def _ocr_pdf_pages(pdf, indices: list[int], pages: list[str]) -> list[tuple[str, float]]:
    """OCR the pages ``indices`` of an open PDF in place of their (empty) text; the numeric cells read."""
    from . import ocr

    if len(indices) > ocr.MAX_OCR_PAGES:
        raise ReadError(f"the PDF has {len(indices)} scanned pages without a text layer (OCR limit "
                        f"{ocr.MAX_OCR_PAGES})")
    deadline = time.monotonic() + ocr.OCR_TIME_BUDGET_S
    cells: list[tuple[str, float]] = []
    for i in indices:
        page = pdf[i]
        try:
            got = ocr.ocr_pdf_page(page, deadline, first_page=i == indices[0])
        except ocr.OcrError as exc:
            raise ReadError(str(exc)) from exc
        finally:
            page.close()
        pages[i] = "\n".join(got.lines)
        cells += got.cells
    return cells


def read_image(data: bytes) -> Document:
    """A scanned report posted as an image (PNG, JPEG, TIFF …): its pages read by OCR (ocr.py)."""
    from . import ocr

    try:
        pages = ocr.ocr_image_bytes(data)
    except ocr.OcrError as exc:
        raise ReadError(str(exc)) from exc
    text = normalize_text("\n".join(ln for p in pages for ln in p.lines))
    if not text.strip():
        raise ReadError("OCR found no text in the image")
    lines = [ln for ln in text.split("\n") if not _PAGE_NUMBER.match(ln)]
    return Document("image", dedupe_lines(lines), {}, ocr_cells=[c for p in pages for c in p.cells])


# page numbers printed in footers: "- 1 -", "— 2 —", "第 3 页", "第3页 共5页", "3 / 5"
_PAGE_NUMBER = re.compile(r"^\s*(?:[-—–]\s*\d{1,4}\s*[-—–]|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
                          r"|\d{1,4}\s*/\s*\d{1,4})\s*$")


# ---------------------------------------------------------------- entry
def read_document(data: bytes, name: str) -> Document:
    """Read any supported report file; raises ReadError with the reason when it cannot."""
    if not data:
        raise ReadError("the file is empty")
    fmt = sniff_format(data, name)
    if fmt == "pdf":
        return read_pdf(data)
    if fmt == "docx":
        return read_docx(data)
    if fmt == "html":
        return read_html(data)
    if fmt == "image":
        return read_image(data)
    if fmt == "zip":
        raise ReadError("a ZIP archive that is not a DOCX document")
    if fmt == "doc":
        raise ReadError("legacy Word .doc (OLE2) is not supported; convert it to DOCX")
    return read_text(data)
