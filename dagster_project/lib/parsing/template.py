"""The State Council report templates (gov2019, gov2021): tables, rows, columns and codes.

Everything here is data from ``../shared/domain.md`` §2 and §7; the parser, the checks, the
synthetic generator and the warehouse all read it from this one module.
"""

from __future__ import annotations

from dataclasses import dataclass

VERSIONS = ("gov2019", "gov2021")

# ---------------------------------------------------------------- table 三 columns (domain §7.4)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("natural_person", "自然人"),
    ("org_business", "商业企业"),
    ("org_research", "科研机构"),
    ("org_public_interest", "社会公益组织"),
    ("org_legal_service", "法律服务机构"),
    ("org_other", "其他"),
    ("total", "总计"),
)
C7 = tuple(code for code, _ in COLUMNS)
C6 = C7[:-1]
COLUMN_LABEL = dict(COLUMNS)


@dataclass(frozen=True)
class Row:
    """One data row of table 三."""

    code: str
    label: str  # canonical label (NFKC form, no spaces) without its numbering prefix
    prefix: str  # numbering printed before the label: "一、", "(一)", "1." ...
    group: str | None  # outcome group label printed in a rowspan cell ("(三)不予公开") or None
    kind: str  # input | leaf | total


_OUTCOME_PARENT = "三、本年度办理结果"

_T3_COMMON_HEAD = (
    Row("received_new", "本年新收政府信息公开申请数量", "一、", None, "input"),
    Row("carried_in", "上年结转政府信息公开申请数量", "二、", None, "input"),
    Row("granted", "予以公开", "(一)", None, "leaf"),
    Row("partially_granted", "部分公开(区分处理的,只计这一情形,不计其他情形)", "(二)", None, "leaf"),
    Row("denied_state_secret", "属于国家秘密", "1.", "(三)不予公开", "leaf"),
    Row("denied_prohibited_by_law", "其他法律行政法规禁止公开", "2.", "(三)不予公开", "leaf"),
    Row("denied_security_stability", "危及“三安全一稳定”", "3.", "(三)不予公开", "leaf"),
    Row("denied_third_party_rights", "保护第三方合法权益", "4.", "(三)不予公开", "leaf"),
    Row("denied_internal_affairs", "属于三类内部事务信息", "5.", "(三)不予公开", "leaf"),
    Row("denied_process_info", "属于四类过程性信息", "6.", "(三)不予公开", "leaf"),
    Row("denied_enforcement_file", "属于行政执法案卷", "7.", "(三)不予公开", "leaf"),
    Row("denied_admin_query", "属于行政查询事项", "8.", "(三)不予公开", "leaf"),
    Row("unavailable_not_held", "本机关不掌握相关政府信息", "1.", "(四)无法提供", "leaf"),
    Row("unavailable_needs_creation", "没有现成信息需要另行制作", "2.", "(四)无法提供", "leaf"),
    Row("unavailable_unclear", "补正后申请内容仍不明确", "3.", "(四)无法提供", "leaf"),
    Row("not_processed_petition_complaint", "信访举报投诉类申请", "1.", "(五)不予处理", "leaf"),
    Row("not_processed_duplicate", "重复申请", "2.", "(五)不予处理", "leaf"),
    Row("not_processed_publication", "要求提供公开出版物", "3.", "(五)不予处理", "leaf"),
    Row("not_processed_vexatious", "无正当理由大量反复申请", "4.", "(五)不予处理", "leaf"),
    Row("not_processed_confirmation", "要求行政机关确认或重新出具已获取信息", "5.", "(五)不予处理", "leaf"),
)
_T3_TAIL = (
    Row("outcome_total", "总计", "(七)", None, "total"),
    Row("carried_out", "结转下年度继续办理", "四、", None, "input"),
)
T3_ROWS: dict[str, tuple[Row, ...]] = {
    "gov2019": _T3_COMMON_HEAD
    + (Row("other_total", "其他处理", "(六)", None, "leaf"),)
    + _T3_TAIL,
    "gov2021": _T3_COMMON_HEAD
    + (
        Row(
            "other_no_correction",
            "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
            "1.",
            "(六)其他处理",
            "leaf",
        ),
        Row(
            "other_fee_unpaid",
            "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
            "2.",
            "(六)其他处理",
            "leaf",
        ),
        Row("other_other", "其他", "3.", "(六)其他处理", "leaf"),
    )
    + _T3_TAIL,
}
OUTCOME_PARENT_LABEL = _OUTCOME_PARENT
T3_ROW_CODES = {v: tuple(r.code for r in rows) for v, rows in T3_ROWS.items()}
LEAVES = {v: tuple(r.code for r in rows if r.kind == "leaf") for v, rows in T3_ROWS.items()}

# Derived subtotals (domain §3.1 T3.H4): code -> leaf rows summed.
SUBTOTALS: dict[str, dict[str, tuple[str, ...]]] = {
    v: {
        "denied_total": tuple(c for c in LEAVES[v] if c.startswith("denied_")),
        "unavailable_total": tuple(c for c in LEAVES[v] if c.startswith("unavailable_")),
        "not_processed_total": tuple(c for c in LEAVES[v] if c.startswith("not_processed_")),
        **({"other_total": ("other_no_correction", "other_fee_unpaid", "other_other")} if v == "gov2021" else {}),
    }
    for v in VERSIONS
}

# outcome_group of each leaf row (CONTRACT §2 fct_outcomes)
def outcome_group(row_code: str) -> str:
    """The outcome group of a table 三 leaf row."""
    if row_code == "granted":
        return "granted"
    if row_code == "partially_granted":
        return "partially_granted"
    for prefix, group in (("denied_", "denied"), ("unavailable_", "unavailable"), ("not_processed_", "not_processed")):
        if row_code.startswith(prefix):
            return group
    return "other"


def t3_keys(version: str) -> list[str]:
    """Flat cell keys ``{row}__{col}`` of table 三, in printed order."""
    return [f"{r}__{c}" for r in T3_ROW_CODES[version] for c in C7]


# ---------------------------------------------------------------- table 四 (domain §7.5)
PROCEEDINGS: tuple[tuple[str, str], ...] = (
    ("admin_review", "行政复议"),
    ("litigation_direct", "未经复议直接起诉"),
    ("litigation_after_review", "复议后起诉"),
)
RESULTS: tuple[tuple[str, str], ...] = (
    ("upheld", "结果维持"),
    ("corrected", "结果纠正"),
    ("other", "其他结果"),
    ("pending", "尚未审结"),
    ("total", "总计"),
)
T4_KEYS = tuple(f"{p}__{r}" for p, _ in PROCEEDINGS for r, _ in RESULTS)


# ---------------------------------------------------------------- table 二 (domain §2.2, §7.2)
@dataclass(frozen=True)
class Measure:
    code: str
    label: str
    kind: str  # count | signed | decimal | money


@dataclass(frozen=True)
class Item:
    code: str
    label: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Block:
    code: str  # art20_1 ...
    caption: str  # 第二十条第(一)项
    measures: tuple[Measure, ...]
    items: tuple[Item, ...]


_M2021_ART1 = (
    Measure("issued", "本年制发件数", "count"),
    Measure("repealed", "本年废止件数", "count"),
    Measure("in_force", "现行有效件数", "count"),
)
_M2019_ART1 = (
    Measure("newly_made", "本年新制作数量", "count"),
    Measure("newly_published", "本年新公开数量", "count"),
    Measure("published_total", "对外公开总数量", "count"),
)
_M2019_ITEMS = (
    Measure("items_prev_year", "上一年项目数量", "count"),
    Measure("items_change", "本年增/减", "signed"),
)

T2_BLOCKS: dict[str, tuple[Block, ...]] = {
    "gov2021": (
        Block("art20_1", "第二十条第(一)项", _M2021_ART1,
              (Item("rules", "规章"), Item("normative_docs", "行政规范性文件", ("规范性文件",)))),
        Block("art20_5", "第二十条第(五)项", (Measure("decisions", "本年处理决定数量", "count"),),
              (Item("licensing", "行政许可"),)),
        Block("art20_6", "第二十条第(六)项", (Measure("decisions", "本年处理决定数量", "count"),),
              (Item("penalty", "行政处罚"), Item("coercion", "行政强制"))),
        Block("art20_8", "第二十条第(八)项",
              (Measure("fee_amount_10k_cny", "本年收费金额(单位:万元)", "decimal"),),
              (Item("admin_fees", "行政事业性收费"),)),
    ),
    "gov2019": (
        Block("art20_1", "第二十条第(一)项", _M2019_ART1,
              (Item("rules", "规章"), Item("normative_docs", "规范性文件", ("行政规范性文件",)))),
        Block("art20_5", "第二十条第(五)项", _M2019_ITEMS + (Measure("decisions", "处理决定数量", "count"),),
              (Item("licensing", "行政许可"), Item("other_external_services", "其他对外管理服务事项"))),
        Block("art20_6", "第二十条第(六)项", _M2019_ITEMS + (Measure("decisions", "处理决定数量", "count"),),
              (Item("penalty", "行政处罚"), Item("coercion", "行政强制"))),
        Block("art20_8", "第二十条第(八)项", _M2019_ITEMS, (Item("admin_fees", "行政事业性收费"),)),
        Block("art20_9", "第二十条第(九)项",
              (Measure("procurement_projects", "采购项目数量", "count"),
               Measure("procurement_amount_cny", "采购总金额", "money")),
              (Item("central_procurement", "政府集中采购"),)),
    ),
}


def t2_items(version: str) -> list[tuple[Block, Item]]:
    """(block, item) pairs of table 二 in printed order."""
    return [(b, i) for b in T2_BLOCKS[version] for i in b.items]


def t2_keys(version: str) -> list[str]:
    """Flat cell keys ``{item}__{measure}`` of table 二, in printed order."""
    return [f"{i.code}__{m.code}" for b, i in t2_items(version) for m in b.measures]


def t2_measure(version: str, key: str) -> Measure:
    """The measure behind a flat table 二 key."""
    item, measure = key.split("__")
    for b, i in t2_items(version):
        if i.code == item:
            for m in b.measures:
                if m.code == measure:
                    return m
    raise KeyError(key)


# Signals for per-table version detection (domain §2.7), NFKC-normalised, spaces removed.
T2_SIGNALS = {
    "gov2021": ("本年制发件数", "本年废止件数", "现行有效件数", "本年收费金额"),
    "gov2019": ("本年新制作数量", "对外公开总数量", "上一年项目数量", "其他对外管理服务事项", "政府集中采购", "本年新公开数量"),
}
T3_SIGNALS_2021 = ("逾期不补正", "逾期未按收费通知")


# ---------------------------------------------------------------- plausibility bounds
# The largest value a cell can plausibly hold, by measure kind (the ``kind`` of a table 二 measure;
# every table 三 and 四 cell is a ``count``). A reading of run-together digits with a cell beyond its
# bound is not a reading at all: the splitter never produces one, so an unsplittable run is reported
# as a ``P.T*.SPLIT`` error with its cells null, never returned as one huge cell.
# The warehouse stores cells under the same bounds (lib/warehouse/ingest.py), and validates corrections with them.
MAX_COUNT = 999_999_999  # 件 / 项 (t2 counts and items, t3, t4): at most 9 digits
MAX_FEE_10K_CNY = 10**9  # t2 fee_amount_10k_cny (本年收费金额, 万元), the only ``decimal`` measure
MAX_PROCUREMENT_CNY = 10**15  # t2 procurement_amount_cny (采购总金额, 元 after unit conversion), the only ``money`` measure
VALUE_BOUND: dict[str, int] = {
    "count": MAX_COUNT,
    "signed": MAX_COUNT,  # |本年增/减| ≤ MAX_COUNT
    "decimal": MAX_FEE_10K_CNY,
    "money": MAX_PROCUREMENT_CNY,
}


# every table 二 cell key (both templates) → its measure kind; table 三 and 四 cells are all ``count``
T2_KIND: dict[str, str] = {f"{i.code}__{m.code}": m.kind for blocks in T2_BLOCKS.values() for b in blocks
                           for i in b.items for m in b.measures}
DECIMAL_KEYS = frozenset(k for k, kind in T2_KIND.items() if kind in ("decimal", "money"))  # amounts, not counts


def cell_kind(table: str, key: str) -> str:
    """The measure kind of a cell (``count``, ``signed``, ``decimal`` or ``money``)."""
    return T2_KIND.get(key, "count") if table == "t2" else "count"


def within_bound(value, kind: str) -> bool:
    """Whether a cell value (int/float, or None for "not applicable") is within its kind's bound."""
    return value is None or abs(value) <= VALUE_BOUND[kind]
