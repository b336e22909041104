"""Suite over ``fct_proactive_disclosure`` (表二 主动公开), domain.md §3.3.

Frame: one row per report × item with the measures as columns.

* T2.H1  counts are integers ≥ 0 (gov2019 `items_change` is signed)
* T2.H2  gov2021 `fee_amount_10k_cny` ≥ 0 (decimal)
* T2.H3  gov2019 items_prev_year + items_change ≥ 0
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from dagster_project.lib.parsing import template as T
from dagster_project.lib.warehouse.quality import SuitePart

from ._common import meta, described

MART = "fct_proactive_disclosure"
COUNT_MEASURES = sorted({m.code for v in T.VERSIONS for b in T.T2_BLOCKS[v] for m in b.measures
                         if m.kind == "count"})
ITEMS = sorted({i.code for v in T.VERSIONS for b in T.T2_BLOCKS[v] for i in b.items})
MEASURES = sorted({m.code for v in T.VERSIONS for b in T.T2_BLOCKS[v] for m in b.measures})

_counts = ", ".join(f"'{m}'" for m in COUNT_MEASURES)
SQL = f"""
select
    report_id, item,
    min(case when measure in ({_counts}) then value end) as min_count,
    sum(case when measure in ({_counts}) and value <> round(value) then 1 else 0 end) as n_fractional_counts,
    max(case when measure = 'fee_amount_10k_cny' then value end) as fee_amount_10k_cny,
    max(case when measure = 'procurement_amount_cny' then value end) as procurement_amount_cny,
    max(case when measure = 'items_prev_year' then value end)
        + max(case when measure = 'items_change' then value end) as items_after_change
from {{fct_proactive_disclosure}}
group by report_id, item
"""


def expectations():
    return described([
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["report_id", "item"], meta=meta("GRAIN one row per report × item", "表二 主动公开政府信息情况")),
        gxe.ExpectColumnValuesToBeInSet(column="item", value_set=ITEMS, meta=meta("CODES §7.2 item is an item of the template", "表二 各项 (规章、规范性文件、行政许可 …)")),
        gxe.ExpectColumnValuesToBeBetween(column="min_count", min_value=0, meta=meta("T2.H1 counts are ≥ 0", "表二 本年制发件数 / 本年废止件数 / 现行有效件数 / 处理决定数量 …")),
        gxe.ExpectColumnValuesToBeBetween(column="n_fractional_counts", min_value=0, max_value=0,
                                          meta=meta("T2.H1 counts are integers", "表二 件数 / 数量")),
        gxe.ExpectColumnValuesToBeBetween(column="fee_amount_10k_cny", min_value=0, meta=meta("T2.H2 fees are ≥ 0 (万元)", "表二 行政事业性收费 本年收费金额（单位：万元）")),
        gxe.ExpectColumnValuesToBeBetween(column="procurement_amount_cny", min_value=0,
                                          meta=meta("T2.H1 procurement amount is ≥ 0 (元)", "表二 政府集中采购 采购总金额")),
        gxe.ExpectColumnValuesToBeBetween(column="items_after_change", min_value=0,
                                          meta=meta("T2.H3 items_prev_year + items_change is ≥ 0", "表二 (gov2019) 上一年项目数量 + 本年增/减")),
    ])


PARTS = [SuitePart(name="fct_proactive_disclosure.values", sql=SQL, expectations=expectations,
                   description="T2.H1, T2.H2, T2.H3")]
