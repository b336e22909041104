"""Suite over ``fct_applications`` (表三 input rows and the outcome total), domain.md §3.1.

Frame: one row per report × applicant type, with the left and right sides of each invariant as
computed columns, so every invariant is one column-pair expectation.

* T3.H1  received_new + carried_in = outcome_total + carried_out   (every column)
* T3.H2  on the `total` row: each measure = the sum of the six applicant types
* T3.H5  every cell is an integer ≥ 0 (and present)
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from dagster_project.lib.warehouse.quality import SuitePart

from ._common import C7, INT_TYPES, meta, COLUMN_LABELS, T3_LABELS, described

MART = "fct_applications"
MEASURES = ("received_new", "carried_in", "outcome_total", "carried_out")

SQL = """
with a as (select * from {fct_applications}),
c6 as (
    select report_id,
           sum(received_new) as received_new, sum(carried_in) as carried_in,
           sum(outcome_total) as outcome_total, sum(carried_out) as carried_out
    from a where applicant_type <> 'total' group by report_id
)
select
    a.report_id, a.applicant_type,
    a.received_new, a.carried_in, a.outcome_total, a.carried_out,
    a.received_new + a.carried_in as h1_in,
    a.outcome_total + a.carried_out as h1_out,
    case when a.applicant_type = 'total' then c6.received_new end as received_new_c6,
    case when a.applicant_type = 'total' then c6.carried_in end as carried_in_c6,
    case when a.applicant_type = 'total' then c6.outcome_total end as outcome_total_c6,
    case when a.applicant_type = 'total' then c6.carried_out end as carried_out_c6
from a left join c6 using (report_id)
"""


def expectations():
    out = [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["report_id", "applicant_type"], meta=meta("GRAIN one row per report × applicant type", "表三 申请人情况")),
        gxe.ExpectColumnValuesToBeInSet(column="applicant_type", value_set=C7, meta=meta("CODES §7.4 applicant type is one of the 7 template columns", "申请人情况: " + "、".join(COLUMN_LABELS.values()))),
        gxe.ExpectColumnPairValuesToBeEqual(column_A="h1_in", column_B="h1_out", ignore_row_if="both_values_are_missing",
                                            meta=meta("T3.H1 received_new + carried_in = outcome_total + carried_out", "一、本年新收 + 二、上年结转 = 三、（七）总计 + 四、结转下年度继续办理")),
    ]
    for m in MEASURES:
        out += [
            gxe.ExpectColumnValuesToNotBeNull(column=m, meta=meta(f"T3.H5 {m} is present", f"表三 {T3_LABELS[m]}")),
            gxe.ExpectColumnValuesToBeBetween(column=m, min_value=0, meta=meta(f"T3.H5 {m} is ≥ 0", f"表三 {T3_LABELS[m]}")),
            gxe.ExpectColumnValuesToBeInTypeList(column=m, type_list=INT_TYPES, meta=meta(f"T3.H5 {m} is an integer", f"表三 {T3_LABELS[m]}")),
            gxe.ExpectColumnPairValuesToBeEqual(column_A=m, column_B=f"{m}_c6", ignore_row_if="either_value_is_missing",
                                                meta=meta(f"T3.H2 {m}: total = sum of the six applicant types", f"表三 {T3_LABELS[m]}: 总计 = 自然人 + 法人或其他组织 (6 列)")),
        ]
    return described(out)


PARTS = [SuitePart(name="fct_applications.balances", sql=SQL, expectations=expectations,
                   description="T3.H1, T3.H2 (input rows), T3.H5")]
