"""Agency dimension: region codes from the division library, level and kind, matching across years."""

from __future__ import annotations

import json

import pytest

from dagster_project.lib.agency import (
    DIM_AGENCY_COLUMNS,
    agency_id_for,
    agency_info,
    build_dim_agency,
    normalize_name,
)
from tests.conftest import REAL_REPORTS

# (name, region_code, province, city, county, admin_level, agency_kind)
CASES = [
    ("鞍山市人民政府办公室", "210300", "辽宁省", "鞍山市", None, "prefectural", "government_office"),
    ("平潭综合实验区", "350128", "福建省", "福州市", "平潭县", "prefectural", "zone_committee"),
    ("上海市人民政府办公厅", "310000", "上海市", None, None, "provincial", "government_office"),
    ("武汉市生态环境局硚口区分局", "420104", "湖北省", "武汉市", "硚口区", "county", "vertical_branch"),
    ("台安县桑林镇人民政府", "210321", "辽宁省", "鞍山市", "台安县", "township", "township_government"),
    ("鞍山市铁东区站前街道办事处", "210302", "辽宁省", "鞍山市", "铁东区", "township", "subdistrict_office"),
    ("辽宁省人民政府", "210000", "辽宁省", None, None, "provincial", "government"),
    ("武汉市汉阳区人民政府", "420105", "湖北省", "武汉市", "汉阳区", "county", "government"),
    ("鞍山市教育局", "210300", "辽宁省", "鞍山市", None, "prefectural", "department"),
    ("国家税务总局鞍山市税务局", "210300", "辽宁省", "鞍山市", None, "prefectural", "vertical_branch"),
    ("鞍山市公共资源交易中心", "210300", "辽宁省", "鞍山市", None, "prefectural", "authorized_org"),
    ("鞍山经济开发区管委会", "210300", "辽宁省", "鞍山市", None, "prefectural", "zone_committee"),
    ("杨凌示范区管委会", "610403", "陕西省", "咸阳市", "杨陵区", "prefectural", "zone_committee"),
    ("重庆市渝中区人民政府", "500103", "重庆市", "重庆市", "渝中区", "county", "government"),
    ("国务院办公厅", None, None, None, None, "central", "government_office"),
    ("国家发展和改革委员会", None, None, None, None, "central", "department"),
]


@pytest.mark.parametrize(("name", "code", "province", "city", "county", "level", "kind"), CASES)
def test_region_level_kind(name, code, province, city, county, level, kind):
    info = agency_info(name)
    assert (info.region_code, info.province, info.city, info.county) == (code, province, city, county)
    assert (info.admin_level, info.agency_kind) == (level, kind)


def test_no_false_region_from_mid_string_names():
    # 太平镇 contains 平镇 (台湾省桃园市平镇市 in the library): a township with no region, not Taiwan
    info = agency_info("太平镇人民政府")
    assert info.region_code is None
    assert (info.admin_level, info.agency_kind) == ("township", "township_government")


def test_ambiguous_county_name_gets_no_code():
    info = agency_info("朝阳区人民政府")  # 北京 and 长春 both have one
    assert info.region_code is None and info.region_match == "ambiguous"
    assert (info.admin_level, info.agency_kind) == ("county", "government")
    assert agency_info("北京市朝阳区人民政府").region_code == "110105"
    assert agency_info("长春市朝阳区人民政府").region_code == "220104"


def test_normalize_width_and_whitespace():
    assert normalize_name(" 鞍山市\u3000人民政府\n办公室（本级） ") == "鞍山市人民政府办公室(本级)"


@pytest.mark.parametrize(
    "variant",
    ["鞍山市人民政府办公室", "辽宁省鞍山市人民政府办公室", "鞍山市 人民政府办公室", "鞍山市政府办公室", "鞍山市政府办",
     "鞍山市人民政府办公室\n"],
)
def test_same_agency_across_spellings(variant):
    assert agency_id_for(variant) == agency_id_for("鞍山市人民政府办公室")


def test_government_office_and_city_report_stay_apart():
    ids = {agency_id_for(n) for n in ("鞍山市人民政府", "鞍山市人民政府办公室", "鞍山市", "鞍山市教育局")}
    assert len(ids) == 4


def test_zone_and_its_committee_are_one_agency_but_not_the_county():
    assert agency_id_for("平潭综合实验区") == agency_id_for("平潭综合实验区管委会") == agency_id_for("平潭综合实验区管理委员会")
    assert agency_id_for("平潭综合实验区") != agency_id_for("平潭县人民政府")
    assert agency_id_for("平潭综合实验区").startswith("350128-")


def test_build_dim_agency_groups_years_and_uses_latest_name():
    reports = [
        {"agency_name": "鞍山市政府办公室", "report_year": 2021},
        {"agency_name": "鞍山市人民政府办公室", "report_year": 2023},
        {"agency_name": "鞍山市人民政府办公室", "report_year": 2022},
        {"agency_name": "平潭综合实验区", "report_year": 2019},
        {"agency_name": "平潭综合实验区", "report_year": 2021},
        {"agency_name": None, "report_year": 2020},
    ]
    dim = build_dim_agency(reports)
    assert len(dim) == 2
    assert all(set(DIM_AGENCY_COLUMNS) <= set(r) for r in dim)
    anshan = next(r for r in dim if r["region_code"] == "210300")
    assert anshan["agency_name"] == "鞍山市人民政府办公室"
    assert (anshan["first_year"], anshan["last_year"], anshan["n_reports"]) == (2021, 2023, 3)
    assert anshan["name_variants"] == "鞍山市人民政府办公室|鞍山市政府办公室"
    pingtan = next(r for r in dim if r["region_code"] == "350128")
    assert (pingtan["admin_level"], pingtan["agency_kind"], pingtan["county"]) == ("prefectural", "zone_committee", "平潭县")
    ids = {agency_id_for(r["agency_name"]) for r in reports if r["agency_name"]}
    assert ids == {r["agency_id"] for r in dim}


EXPECTED_REGION = {"鞍山市人民政府办公室": "210300", "平潭综合实验区": "350128", "上海市人民政府办公厅": "310000"}


def test_real_report_agencies():
    if not REAL_REPORTS.is_dir():
        pytest.skip("../shared/real-reports not present")
    names = {json.loads((d / "expected.json").read_text(encoding="utf-8"))["agency_name"]
             for d in REAL_REPORTS.iterdir() if (d / "expected.json").is_file()}
    assert names == set(EXPECTED_REGION)
    for name in names:
        assert agency_info(name).region_code == EXPECTED_REGION[name], name
    # the four 平潭 reports (2019–2025) are one agency
    dim = build_dim_agency([json.loads((d / "expected.json").read_text(encoding="utf-8"))
                            for d in REAL_REPORTS.iterdir() if (d / "expected.json").is_file()])
    pingtan = next(r for r in dim if r["region_code"] == "350128")
    assert (pingtan["first_year"], pingtan["last_year"], pingtan["n_reports"]) == (2019, 2025, 4)
