"""Ground truth for synthetic annual reports: agency, year, dates and table values.

Every :class:`Truth` produced by :func:`make_truth` satisfies all hard invariants of
``domain.md`` §3 (T3.H1–H5, T4.H1–H2, T2.H1–H3) and the soft in-report checks T2.S1/T2.S4,
so a correct parser must read it back with no error check and status ``ok``.
:func:`inject_error` changes exactly one table 三/四 cell so that named hard checks break.

Pure Python; no dagster import (the generator is also used by tests and the benchmark).
"""

from __future__ import annotations

import copy
import datetime as _dt
import random
from dataclasses import dataclass, field

from dagster_project.lib.parsing.template import (
    C6,
    C7,
    LEAVES,
    PROCEEDINGS,
    RESULTS,
    T3_ROW_CODES,
    VERSIONS,
    t2_keys,
)

SCALES = ("small", "medium", "large")
INPUT_ROWS = ("received_new", "carried_in", "carried_out")


@dataclass
class Truth:
    """The values a correct parser must return for one synthetic report (CONTRACT §3 shape)."""

    version: str  # gov2019 | gov2021 (table 二 and 三 use the same version)
    agency_name: str
    report_year: int
    publish_date: str  # YYYY-MM-DD, printed in the page's 发布时间 field
    signed_date: str  # "2024年1月30日": sign-off line (differs from the publish date)
    t2: dict[str, int | float]
    t3: dict[str, int]
    t4: dict[str, int]
    scale: str = "medium"
    admin_level: str = "county"  # province | city | county | township (drives 规章 and sizes)
    extra: dict = field(default_factory=dict)  # free-form notes (e.g. the injected error)

    def expected(self) -> dict:
        """The parse fields this truth pins down, keyed as in CONTRACT §3."""
        return {
            "agency_name": self.agency_name,
            "report_year": self.report_year,
            "template_version": self.version,
            "publish_date": self.publish_date,
            "t2": dict(self.t2),
            "t3": dict(self.t3),
            "t4": dict(self.t4),
        }

    def copy(self) -> "Truth":
        """A deep copy (renderers and error injection never mutate their input)."""
        return copy.deepcopy(self)


@dataclass
class InjectedError:
    """What :func:`inject_error` changed and which hard checks must fire because of it."""

    table: str  # "t3" | "t4"
    cell: str  # flat cell key, e.g. "granted__org_business"
    old: int
    new: int
    # (check_id, anchor): anchor is the row code (T3.H2), the column code (T3.H1/T3.H3)
    # or the proceeding code (T4.H1) that a check on this cell must point at.
    checks: list[tuple[str, str]]

    @property
    def check_ids(self) -> set[str]:
        """The ids of the checks that must fire."""
        return {c for c, _ in self.checks}


# ---------------------------------------------------------------- agency names
_REGIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("辽宁省", "鞍山市", ("铁东区", "铁西区", "立山区", "千山区", "海城市", "台安县", "岫岩满族自治县")),
    ("辽宁省", "沈阳市", ("和平区", "沈河区", "大东区", "皇姑区", "浑南区", "新民市", "康平县")),
    ("湖北省", "武汉市", ("江岸区", "江汉区", "硚口区", "汉阳区", "武昌区", "青山区", "洪山区", "黄陂区", "新洲区")),
    ("陕西省", "西安市", ("新城区", "碑林区", "莲湖区", "雁塔区", "长安区", "蓝田县", "周至县")),
    ("吉林省", "长春市", ("南关区", "宽城区", "朝阳区", "二道区", "绿园区", "农安县", "榆树市")),
    ("福建省", "福州市", ("鼓楼区", "台江区", "仓山区", "马尾区", "晋安区", "闽侯县", "连江县", "平潭县")),
    ("湖南省", "怀化市", ("鹤城区", "中方县", "沅陵县", "辰溪县", "溆浦县", "会同县")),
    ("湖南省", "岳阳市", ("岳阳楼区", "云溪区", "君山区", "华容县", "湘阴县", "平江县")),
    ("四川省", "成都市", ("锦江区", "青羊区", "金牛区", "武侯区", "成华区", "双流区", "郫都区")),
    ("四川省", "绵阳市", ("涪城区", "游仙区", "安州区", "三台县", "盐亭县", "梓潼县")),
    ("浙江省", "杭州市", ("上城区", "拱墅区", "西湖区", "滨江区", "萧山区", "余杭区", "桐庐县", "淳安县")),
    ("山东省", "济南市", ("历下区", "市中区", "槐荫区", "天桥区", "历城区", "长清区", "平阴县")),
    ("河南省", "洛阳市", ("老城区", "西工区", "涧西区", "偃师区", "孟津区", "新安县", "宜阳县")),
    ("广东省", "韶关市", ("武江区", "浈江区", "曲江区", "乐昌市", "南雄市", "仁化县", "翁源县")),
)
_DEPARTMENTS = (
    "发展和改革委员会", "教育局", "科学技术局", "公安局", "民政局", "司法局", "财政局",
    "人力资源和社会保障局", "自然资源和规划局", "生态环境局", "住房和城乡建设局", "交通运输局",
    "水利局", "农业农村局", "商务局", "文化和旅游局", "卫生健康委员会", "退役军人事务局",
    "应急管理局", "审计局", "市场监督管理局", "统计局", "医疗保障局", "城市管理局",
    "林业局", "政务服务和数据管理局", "信访局", "住房公积金管理中心",
)
_PROVINCE_DEPARTMENTS = ("生态环境厅", "教育厅", "民政厅", "财政厅", "交通运输厅", "自然资源厅", "商务厅")
_TOWNS = (
    "城关镇", "太平镇", "新兴镇", "永安镇", "青山镇", "河口镇", "石桥镇", "龙泉镇", "白沙镇",
    "三合乡", "红星乡", "东风乡", "长岭乡", "南湖乡", "黄土岭镇", "双河镇",
)
_STREETS = ("大明湖街道", "解放路街道", "东风街道", "人民路街道", "中山街道", "胜利街道", "新华街道", "站前街道")


def make_agency(rng: random.Random) -> tuple[str, str]:
    """A realistic reporting body name and its admin level (province/city/county/township)."""
    province, city, counties = rng.choice(_REGIONS)
    county = rng.choice(counties)
    kind = rng.choices(
        ("prov_office", "prov_dept", "city_gov", "city_office", "city_dept", "county_gov", "county_office",
         "county_dept", "town", "street", "branch", "center"),
        weights=(2, 3, 4, 5, 18, 6, 5, 30, 14, 6, 4, 3),
    )[0]
    if kind == "prov_office":
        return f"{province}人民政府办公厅", "province"
    if kind == "prov_dept":
        return f"{province}{rng.choice(_PROVINCE_DEPARTMENTS)}", "province"
    if kind == "city_gov":
        return f"{city}人民政府", "city"
    if kind == "city_office":
        return f"{city}人民政府办公室", "city"
    if kind == "city_dept":
        return f"{city}{rng.choice(_DEPARTMENTS)}", "city"
    if kind == "county_gov":
        return f"{rng.choice(('', city))}{county}人民政府", "county"
    if kind == "county_office":
        return f"{county}人民政府办公室", "county"
    if kind == "county_dept":
        return f"{rng.choice(('', city))}{county}{rng.choice(_DEPARTMENTS)}", "county"
    if kind == "town":
        return f"{rng.choice(('', county))}{rng.choice(_TOWNS)}人民政府", "township"
    if kind == "street":
        return f"{county}{rng.choice(_STREETS)}办事处", "township"
    if kind == "branch":
        return f"{city}生态环境局{county}分局", "county"
    return f"{city}公共资源交易中心", "city"


# ---------------------------------------------------------------- numbers
# Outcome leaves in decreasing order of how often real agencies use them.
_COMMON_LEAVES = ("granted", "partially_granted", "unavailable_not_held", "not_processed_petition_complaint",
                  "other_total", "other_other", "other_no_correction", "not_processed_duplicate",
                  "unavailable_unclear", "denied_third_party_rights", "denied_process_info")


def _digits(rng: random.Random, lo: int, hi: int) -> int:
    """A number whose digit count is uniform in [lo, hi] (so large values are not all 6 digits)."""
    n = rng.randint(lo, hi)
    return rng.randint(10 ** (n - 1) if n > 1 else 0, 10**n - 1)


def _cell(rng: random.Random, scale: str, col: str, common: bool) -> int:
    """One applicant-column value of an outcome leaf."""
    if scale == "small":
        p, hi_np, hi_org = (0.35 if common else 0.05), 9, 3
        if rng.random() > p or (col != "natural_person" and rng.random() > 0.15):
            return 0
        return rng.randint(1, hi_np if col == "natural_person" else hi_org)
    if scale == "medium":
        p = 0.8 if common else 0.2
        if col != "natural_person":
            p *= 0.5 if col == "org_business" else 0.15
        if rng.random() > p:
            return 0
        return rng.randint(1, 400 if col == "natural_person" else (60 if col == "org_business" else 12))
    # large: natural-person cells up to 5-6 digits, others shorter
    p = 0.95 if common else 0.45
    if col != "natural_person":
        p *= 0.9 if col == "org_business" else 0.6
    if rng.random() > p:
        return 0
    if col == "natural_person":
        return _digits(rng, 2, 6) if common else _digits(rng, 1, 4)
    if col == "org_business":
        return _digits(rng, 1, 5) if common else _digits(rng, 1, 3)
    return _digits(rng, 1, 3)


def _make_t3(rng: random.Random, version: str, scale: str) -> dict[str, int]:
    """Table 三 values satisfying T3.H1–H5 (subtotals are implied by the leaves)."""
    leaves = LEAVES[version]
    t3: dict[str, int] = {}
    empty = scale == "small" and rng.random() < 0.25  # a unit that received no request at all
    for r in leaves:
        for c in C6:
            t3[f"{r}__{c}"] = 0 if empty else _cell(rng, scale, c, r in _COMMON_LEAVES)
    for c in C6:
        out = sum(t3[f"{r}__{c}"] for r in leaves)
        t3[f"outcome_total__{c}"] = out
        carry_p = {"small": 0.1, "medium": 0.3, "large": 0.7}[scale]
        hi = max(1, out // rng.choice((3, 5, 10, 20)))
        carried_out = rng.randint(0, hi) if (out and rng.random() < carry_p) else 0
        carried_in = rng.randint(0, hi) if (out and rng.random() < carry_p) else 0
        carried_in = min(carried_in, out + carried_out)
        t3[f"carried_in__{c}"] = carried_in
        t3[f"carried_out__{c}"] = carried_out
        t3[f"received_new__{c}"] = out + carried_out - carried_in  # T3.H1, >= 0
    for r in T3_ROW_CODES[version]:
        t3[f"{r}__total"] = sum(t3[f"{r}__{c}"] for c in C6)  # T3.H2
    return {f"{r}__{c}": t3[f"{r}__{c}"] for r in T3_ROW_CODES[version] for c in C7}


def _make_t4(rng: random.Random, scale: str) -> dict[str, int]:
    """Table 四 values satisfying T4.H1/H2."""
    t4: dict[str, int] = {}
    p, hi = {"small": (0.08, 3), "medium": (0.3, 15), "large": (0.6, 2000)}[scale]
    for proc, _ in PROCEEDINGS:
        total = 0
        for res, _ in RESULTS[:-1]:
            v = rng.randint(1, hi) if rng.random() < p * (1.0 if res in ("upheld", "pending") else 0.5) else 0
            t4[f"{proc}__{res}"] = v
            total += v
        t4[f"{proc}__total"] = total
    return t4


def _fee_10k(rng: random.Random, scale: str) -> float:
    """A 万元 amount with 0..6 decimals (gov2021 本年收费金额)."""
    if rng.random() < {"small": 0.9, "medium": 0.6, "large": 0.3}[scale]:
        return 0
    top = {"small": 5, "medium": 500, "large": 50000}[scale]
    places = rng.randint(0, 6)
    v = round(rng.uniform(0.01, top), places)
    return int(v) if places == 0 else v


def _count(rng: random.Random, scale: str, p_zero: float, med: int, large_digits: int = 6) -> int:
    if rng.random() < p_zero:
        return 0
    if scale == "small":
        return rng.randint(1, 20)
    if scale == "medium":
        return rng.randint(1, med)
    return _digits(rng, 1, large_digits)


def _make_t2(rng: random.Random, version: str, scale: str, level: str) -> dict[str, int | float]:
    """Table 二 values satisfying T2.H1–H3 and the in-report soft checks T2.S1/T2.S4."""
    t2: dict[str, int | float] = {}
    makes_rules = level in ("province", "city") and rng.random() < 0.6
    pz = {"small": 0.7, "medium": 0.35, "large": 0.1}[scale]
    if version == "gov2021":
        for item in ("rules", "normative_docs"):
            if item == "rules" and not makes_rules:
                issued = repealed = in_force = 0
            else:
                issued = _count(rng, scale, pz, 60, 3)
                repealed = _count(rng, scale, 0.6, 20, 3)
                in_force = max(0, issued - repealed) + _count(rng, scale, pz / 2, 400, 4)  # T2.S1
            t2[f"{item}__issued"], t2[f"{item}__repealed"], t2[f"{item}__in_force"] = issued, repealed, in_force
        for item in ("licensing", "penalty", "coercion"):
            t2[f"{item}__decisions"] = _count(rng, scale, pz, 3000, 7)
        t2["admin_fees__fee_amount_10k_cny"] = _fee_10k(rng, scale)
    else:
        for item in ("rules", "normative_docs"):
            if item == "rules" and not makes_rules:
                made = pub = tot = 0
            else:
                made = _count(rng, scale, pz, 60, 3)
                pub = made if rng.random() < 0.7 else rng.randint(0, made)
                tot = pub + _count(rng, scale, pz / 2, 400, 4)  # T2.S4 newly_published <= published_total
            t2[f"{item}__newly_made"], t2[f"{item}__newly_published"], t2[f"{item}__published_total"] = made, pub, tot
        for item in ("licensing", "other_external_services", "penalty", "coercion", "admin_fees"):
            prev = _count(rng, scale, pz, 500, 4)
            change = 0
            if rng.random() < 0.5:
                change = rng.randint(-prev, max(1, prev // 2 + 5))  # T2.H3 prev + change >= 0
            t2[f"{item}__items_prev_year"], t2[f"{item}__items_change"] = prev, change
            if item != "admin_fees":
                t2[f"{item}__decisions"] = _count(rng, scale, pz, 3000, 7)
        projects = _count(rng, scale, pz + 0.1, 200, 3)
        amount: int | float = 0
        if projects:
            amount = round(rng.uniform(1000, {"small": 2e5, "medium": 5e6, "large": 5e8}[scale]), rng.choice((0, 2)))
            amount = int(amount) if amount == int(amount) else amount
        t2["central_procurement__procurement_projects"] = projects
        t2["central_procurement__procurement_amount_cny"] = amount
    return {k: t2[k] for k in t2_keys(version)}


def _version_for(rng: random.Random, version: str | None, year: int | None) -> tuple[str, int]:
    if version is None:
        year = year if year is not None else rng.randint(2019, 2025)
        return ("gov2019" if year <= 2020 else "gov2021"), year
    if version not in VERSIONS:
        raise ValueError(f"unknown template version {version!r}")
    if year is None:
        year = rng.choice((2019, 2020)) if version == "gov2019" else rng.randint(2021, 2025)
    return version, year


def make_truth(
    rng: random.Random,
    version: str | None = None,
    *,
    scale: str = "mixed",
    agency: str | None = None,
    year: int | None = None,
) -> Truth:
    """Draw a consistent ground truth for one report.

    ``version`` None picks one from the year (gov2019 for 2019/2020, gov2021 from 2021).
    ``scale``: ``small`` (zeros-heavy township/department), ``medium``, ``large`` (cells up to
    5–6 digits, concatenated rows of 15–30 digits) or ``mixed`` (60/30/10).
    """
    version, year = _version_for(rng, version, year)
    if scale == "mixed":
        scale = rng.choices(SCALES, weights=(6, 3, 1))[0]
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}")
    name, level = make_agency(rng)
    if agency is not None:
        name = agency
    # published Jan-Mar of the next year (a few late); signed 0-6 days before publishing
    start = _dt.date(year + 1, 1, 5)
    pub = start + _dt.timedelta(days=rng.randint(0, 85) if rng.random() < 0.95 else rng.randint(86, 300))
    signed = pub - _dt.timedelta(days=rng.randint(0, 6))
    return Truth(
        version=version,
        agency_name=name,
        report_year=year,
        publish_date=pub.isoformat(),
        signed_date=f"{signed.year}年{signed.month}月{signed.day}日",
        t2=_make_t2(rng, version, scale, level),
        t3=_make_t3(rng, version, scale),
        t4=_make_t4(rng, scale),
        scale=scale,
        admin_level=level,
    )


# ---------------------------------------------------------------- invariants (reference implementation)
def hard_violations(truth: Truth) -> list[tuple[str, str]]:
    """(check_id, anchor) of every hard invariant the truth breaks; [] for a consistent truth.

    An independent re-statement of domain.md §3 used to validate the generator itself.
    """
    v, t3, t4, t2 = truth.version, truth.t3, truth.t4, truth.t2
    out: list[tuple[str, str]] = []
    for k, x in t3.items():
        if not isinstance(x, int) or x < 0:
            out.append(("T3.H5", k))
    for c in C7:
        if t3[f"received_new__{c}"] + t3[f"carried_in__{c}"] != t3[f"outcome_total__{c}"] + t3[f"carried_out__{c}"]:
            out.append(("T3.H1", c))
        if t3[f"outcome_total__{c}"] != sum(t3[f"{r}__{c}"] for r in LEAVES[v]):
            out.append(("T3.H3", c))
    for r in T3_ROW_CODES[v]:
        if t3[f"{r}__total"] != sum(t3[f"{r}__{c}"] for c in C6):
            out.append(("T3.H2", r))
    for p, _ in PROCEEDINGS:
        if t4[f"{p}__total"] != sum(t4[f"{p}__{r}"] for r, _ in RESULTS[:-1]):
            out.append(("T4.H1", p))
    for k, x in t4.items():
        if not isinstance(x, int) or x < 0:
            out.append(("T4.H2", k))
    for k, x in t2.items():
        if k.endswith("__items_change"):
            if t2[k.replace("items_change", "items_prev_year")] + x < 0:
                out.append(("T2.H3", k))
        elif x < 0:
            out.append(("T2.H1" if not k.endswith("fee_amount_10k_cny") else "T2.H2", k))
    return out


def soft_violations(truth: Truth) -> list[tuple[str, str]]:
    """The in-report soft checks the generator also honours (T2.S1, T2.S4)."""
    t2, out = truth.t2, []
    for item in ("rules", "normative_docs"):
        if truth.version == "gov2021":
            if t2[f"{item}__in_force"] < t2[f"{item}__issued"] - t2[f"{item}__repealed"]:
                out.append(("T2.S1", item))
        elif t2[f"{item}__newly_published"] > t2[f"{item}__published_total"]:
            out.append(("T2.S4", item))
    return out


# ---------------------------------------------------------------- error injection
def inject_error(truth: Truth, rng: random.Random) -> tuple[Truth, InjectedError]:
    """Change exactly one table 三 or 四 cell so that hard checks break.

    Returns a modified copy and what must fire:
    - a t3 leaf cell breaks T3.H2 on its row and T3.H3 on its column;
    - a t3 input row cell (一、二、四) breaks T3.H2 on its row and T3.H1 on its column;
    - a t3 （七）总计 cell breaks T3.H2, T3.H1 and T3.H3;
    - a t4 cell breaks T4.H1 on its proceeding.
    Every check is a linear identity with coefficient ±1 on the changed cell, so any change breaks it.
    """
    out = truth.copy()
    if rng.random() < 0.8:
        rows = T3_ROW_CODES[truth.version]
        # favour rows with data so the error is not always on a zero row
        nonzero = [r for r in rows if out.t3[f"{r}__total"]]
        row = rng.choice(nonzero) if nonzero and rng.random() < 0.7 else rng.choice(rows)
        col = rng.choice(C7)
        key = f"{row}__{col}"
        table, values = "t3", out.t3
        checks = [("T3.H2", row)]
        if row in LEAVES[truth.version]:
            checks.append(("T3.H3", col))
        elif row == "outcome_total":
            checks += [("T3.H1", col), ("T3.H3", col)]
        else:
            checks.append(("T3.H1", col))
    else:
        proc = rng.choice(PROCEEDINGS)[0]
        key = f"{proc}__{rng.choice(RESULTS)[0]}"
        table, values = "t4", out.t4
        checks = [("T4.H1", proc)]
    old = values[key]
    if old == 0 or rng.random() < 0.5:
        new = old + rng.randint(1, max(1, min(9, old // 2 + 1)))
    else:
        new = old - rng.randint(1, max(1, old // 2))
    values[key] = new
    info = InjectedError(table=table, cell=key, old=old, new=new, checks=checks)
    out.extra["injected"] = info
    return out, info


def inject_two_t4_errors(truth: Truth, rng: random.Random) -> tuple[Truth, list[InjectedError]]:
    """Change two cells of table 四's one data row (two source errors in one row, as real reports have): in two
    proceedings, or twice in one (then by amounts that do not cancel). Returns the copy and both changes."""
    out = truth.copy()
    keys = [f"{p}__{r}" for p, _ in PROCEEDINGS for r, _ in RESULTS]
    a, b = rng.sample(keys, 2)
    infos = []
    for key in (a, b):
        old = out.t4[key]
        delta = rng.randint(1, 9)
        new = old + delta if old == 0 or rng.random() < 0.5 else max(0, old - delta)
        if new == old:
            new = old + 1
        out.t4[key] = new
        infos.append(InjectedError(table="t4", cell=key, old=old, new=new, checks=[("T4.H1", key.split("__")[0])]))
    if a.split("__")[0] == b.split("__")[0]:  # same proceeding: make sure the two changes do not cancel out
        proc = a.split("__")[0]
        parts = sum(out.t4[f"{proc}__{r}"] for r, _ in RESULTS if r != "total")
        if parts == out.t4[f"{proc}__total"]:
            out.t4[b] += 1
            infos[1] = InjectedError(table="t4", cell=b, old=infos[1].old, new=out.t4[b], checks=infos[1].checks)
    out.extra["injected_t4"] = infos
    return out, infos
