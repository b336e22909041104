"""Report metadata: agency name, report year, publish date (CONTRACT §3, domain.md §4.4)."""

from __future__ import annotations

import datetime as dt
import re

_TITLE_AGENCY_FIRST = re.compile(r"([^\s:：|,，。;；\"“”]{2,60}?)\s*((?:19|20)\d{2})\s*年\s*度?\s*(?:的)?\s*政府信息公开(?:工作)?(?:年度)?报告")
_TITLE_YEAR_FIRST = re.compile(r"((?:19|20)\d{2})\s*年\s*度?\s*([^\s:：|,，。;；\"“”]{2,60}?)\s*政府信息公开(?:工作)?(?:年度)?报告")
_PERIOD = re.compile(r"统计期限[^0-9]{0,12}((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日")
_FIELD_AGENCY = re.compile(r"(?:发布机构|信息来源|来源|发文机关)\s*[:：]\s*([^\s|:：]{2,40})")
_DATE = r"((?:19|20)\d{2})\s*(?:-|/|\.|年)\s*(\d{1,2})\s*(?:-|/|\.|月)\s*(\d{1,2})"
# the page's own fields, best first; "|" joins a field's label and value cells (<td>公开日期</td><td>…</td>)
_SEP = r"\s*[:：|]?\s*\|?\s*"
_PUB_FIELD = re.compile(r"(?:发布时间|发布日期|公开时间|公开日期|发文日期|上网时间|上网日期)" + _SEP + _DATE)
_WRITTEN_FIELD = re.compile(r"成文(?:日期|时间)" + _SEP + _DATE)
# any other 时间/日期 field, except a crawler's or archiver's stamp (采集时间, 抓取时间, 保存时间 …): those tell
# when a copy was taken, never when the report was published
_CRAWLER = r"采集|抓取|爬取|保存|存档|归档|入库|下载|访问|获取|快照|修改|更新|打印"
_TIME_FIELD = re.compile(r"(?<![发成])(?<!" + r")(?<!".join(w for w in _CRAWLER.split("|")) + r")(?:时间|日期)"
                         + r"\s*[:：]\s*" + _DATE)
_JUNK_PREFIX = re.compile(r"^(?:标题|题目|名称|当前位置)\s*[:：]?")
_SIGN_OFF_DATE = re.compile(r"^\s*((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*$")


def _clean_agency(name: str) -> str:
    name = _JUNK_PREFIX.sub("", name.strip())
    name = name.strip("|《》<>【】[]()（） -—")
    return name


def find_title(lines: list[str], meta: dict[str, str]) -> tuple[str | None, int | None]:
    """(agency, year) from the report title: body lines first, then the page's title tags."""
    sources = [ln for ln in lines[:80] if "报告" in ln] + [meta.get(k, "") for k in ("articletitle", "title")]
    for text in sources:
        compact = text.replace("|", " ")
        m = _TITLE_AGENCY_FIRST.search(compact)
        if m:
            agency = _clean_agency(m.group(1))
            # "2019年上海市…" puts the agency after the year; "xx2019年度…" before it
            if agency and not re.fullmatch(r"[\d年度]+", agency) and "关于" not in agency:
                return agency, int(m.group(2))
        m = _TITLE_YEAR_FIRST.search(compact)
        if m:
            agency = _clean_agency(m.group(2))
            if agency in ("", "度") or agency.startswith("关于"):
                return None, int(m.group(1))
            return agency, int(m.group(1))
    return None, None


def find_year(text: str) -> int | None:
    m = _PERIOD.search(text)
    return int(m.group(1)) if m else None


def find_agency_fallback(lines: list[str]) -> str | None:
    """发布机构 / 信息来源 field, else the sign-off line above the closing date."""
    for ln in lines[:40]:
        m = _FIELD_AGENCY.search(ln)
        if m:
            return _clean_agency(m.group(1))
    for i in range(len(lines) - 1, 0, -1):
        if _SIGN_OFF_DATE.match(lines[i]):
            prev = lines[i - 1].strip()
            if 2 <= len(prev) <= 40 and not re.search(r"\d", prev):
                return prev
    return None


def _date(y: str, m: str, d: str) -> str | None:
    try:
        return dt.date(int(y), int(m), int(d)).isoformat()
    except ValueError:
        return None


def find_publish_date(lines: list[str], meta: dict[str, str]) -> str | None:
    """The page's own publish date: its 发布时间/发布日期/公开日期 field, else its PubDate meta, else its 成文日期
    field, else another 时间/日期 field near the top. A crawler's stamp (采集时间, 抓取时间, 保存时间 …) never is."""
    head = "\n".join(lines[:60])
    m = _PUB_FIELD.search(head)
    if m:
        return _date(*m.groups())
    for key in ("pubdate", "publishdate", "firstpublishedtime", "article:published_time", "dcterms.issued"):
        if meta.get(key):
            mm = re.search(_DATE, meta[key])
            if mm:
                return _date(*mm.groups())
    m = _WRITTEN_FIELD.search(head) or _TIME_FIELD.search(head)
    if m:
        return _date(*m.groups())
    return None


def find_cited_template(text: str) -> str | None:
    """The template notice the report cites, if any (domain.md §2.7: store ``template_cited``)."""
    if re.search(r"国办公开办函\s*[〔\[(（]\s*2021\s*[〕\])）]\s*30\s*号", text):
        return "gov2021"
    if re.search(r"国办公开办函\s*[〔\[(（]\s*2019\s*[〕\])）]\s*60\s*号", text):
        return "gov2019"
    return None
