"""Suite over ``fct_outcomes`` (表三 outcome leaves), domain.md §3.1.

Two compact frames:

* ``fct_outcomes.row_totals`` — one row per report × leaf: the printed `total` cell and the sum of
  the six applicant types (T3.H2 on every leaf row), non-negative integers (T3.H5);
* ``fct_outcomes.outcome_totals`` — one row per report × applicant type: （七）总计 from
  ``fct_applications`` and the sum of the leaves (T3.H3), and one leaf set per template.
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from dagster_project.lib.warehouse.quality import SuitePart

from ._common import C7, INT_TYPES, LEAVES_ALL, meta, described

MART = "fct_outcomes"

ROW_SQL = """
select
    report_id, outcome_code,
    max(case when applicant_type = 'total' then count end) as row_total,
    sum(case when applicant_type <> 'total' then count end) as row_c6_sum,
    min(count) as min_count,
    count(*) as n_columns
from {fct_outcomes}
group by report_id, outcome_code
"""

TOTAL_SQL = """
with leaves as (
    select report_id, applicant_type, sum(count) as leaf_sum, count(*) as n_leaves,
           any_value(template_version) as template_version
    from {fct_outcomes} group by report_id, applicant_type
)
select
    a.report_id, a.applicant_type, a.outcome_total, l.leaf_sum, l.n_leaves,
    case l.template_version when 'gov2021' then 21 when 'gov2019' then 19 end as expected_leaves
from {fct_applications} as a
join leaves as l using (report_id, applicant_type)
"""


def row_expectations():
    return described([
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["report_id", "outcome_code"], meta=meta("GRAIN one row per report × outcome leaf", "表三 三、本年度办理结果")),
        gxe.ExpectColumnValuesToBeInSet(column="outcome_code", value_set=LEAVES_ALL, meta=meta("CODES §7.3 outcome_code is a leaf row of the template", "三、本年度办理结果 (予以公开 … 其他处理)")),
        gxe.ExpectColumnPairValuesToBeEqual(column_A="row_total", column_B="row_c6_sum",
                                            ignore_row_if="both_values_are_missing",
                                            meta=meta("T3.H2 leaf row: total = sum of the six applicant types", "三、本年度办理结果 各行: 总计 = 自然人 + 法人或其他组织 (6 列)")),
        gxe.ExpectColumnValuesToBeBetween(column="n_columns", min_value=len(C7), max_value=len(C7),
                                          meta=meta("SHAPE every leaf row has the 7 columns", "申请人情况: 自然人 … 总计")),
        gxe.ExpectColumnValuesToNotBeNull(column="min_count", meta=meta("T3.H5 every leaf cell is present", "三、本年度办理结果")),
        gxe.ExpectColumnValuesToBeBetween(column="min_count", min_value=0, meta=meta("T3.H5 every leaf cell is ≥ 0", "三、本年度办理结果")),
        gxe.ExpectColumnValuesToBeInTypeList(column="row_total", type_list=INT_TYPES, meta=meta("T3.H5 every leaf cell is an integer", "三、本年度办理结果")),
    ])


def total_expectations():
    return described([
        gxe.ExpectColumnPairValuesToBeEqual(column_A="outcome_total", column_B="leaf_sum",
                                            ignore_row_if="both_values_are_missing",
                                            meta=meta("T3.H3 outcome_total = sum of the outcome leaves", "三、（七）总计 = 予以公开 + 部分公开 + 不予公开 + 无法提供 + 不予处理 + 其他处理")),
        gxe.ExpectColumnPairValuesToBeEqual(column_A="n_leaves", column_B="expected_leaves",
                                            meta=meta("SHAPE leaf set of the template (21 in gov2021, 19 in gov2019)", "三、本年度办理结果 各项")),
    ])


PARTS = [
    SuitePart(name="fct_outcomes.row_totals", sql=ROW_SQL, expectations=row_expectations,
              description="T3.H2 on leaf rows, T3.H5"),
    SuitePart(name="fct_outcomes.outcome_totals", sql=TOTAL_SQL, expectations=total_expectations,
              description="T3.H3"),
]
