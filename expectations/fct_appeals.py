"""Suite over ``fct_appeals`` (表四 行政复议、行政诉讼), domain.md §3.2.

Frame: one row per report × proceeding with the five results as columns.

* T4.H1  total = upheld + corrected + other + pending, for each proceeding
* T4.H2  all 15 cells are integers ≥ 0
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from dagster_project.lib.parsing import template as T
from dagster_project.lib.warehouse.quality import SuitePart

from ._common import INT_TYPES, meta, PROCEEDING_LABELS, RESULT_LABELS, described

MART = "fct_appeals"
RESULTS = [code for code, _ in T.RESULTS]
PROCEEDINGS = [code for code, _ in T.PROCEEDINGS]

SQL = """
select
    report_id, proceeding,
    max(case when result = 'upheld' then count end) as upheld,
    max(case when result = 'corrected' then count end) as corrected,
    max(case when result = 'other' then count end) as other,
    max(case when result = 'pending' then count end) as pending,
    max(case when result = 'total' then count end) as total,
    sum(case when result <> 'total' then count end) as parts_sum,
    count(*) as n_results
from {fct_appeals}
group by report_id, proceeding
"""


def expectations():
    out = [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["report_id", "proceeding"], meta=meta("GRAIN one row per report × proceeding", "表四 行政复议 / 行政诉讼")),
        gxe.ExpectColumnValuesToBeInSet(column="proceeding", value_set=PROCEEDINGS, meta=meta("CODES §7.5 proceeding is one of the 3 template proceedings", "、".join(PROCEEDING_LABELS.values()))),
        gxe.ExpectColumnValuesToBeBetween(column="n_results", min_value=5, max_value=5,
                                          meta=meta("SHAPE five results per proceeding", "、".join(RESULT_LABELS.values()))),
        gxe.ExpectColumnPairValuesToBeEqual(column_A="total", column_B="parts_sum",
                                            meta=meta("T4.H1 total = upheld + corrected + other + pending", "表四 总计 = 结果维持 + 结果纠正 + 其他结果 + 尚未审结")),
    ]
    for r in RESULTS:
        out += [
            gxe.ExpectColumnValuesToNotBeNull(column=r, meta=meta(f"T4.H2 {r} is present", f"表四 {RESULT_LABELS[r]}")),
            gxe.ExpectColumnValuesToBeBetween(column=r, min_value=0, meta=meta(f"T4.H2 {r} is ≥ 0", f"表四 {RESULT_LABELS[r]}")),
            gxe.ExpectColumnValuesToBeInTypeList(column=r, type_list=INT_TYPES, meta=meta(f"T4.H2 {r} is an integer", f"表四 {RESULT_LABELS[r]}")),
        ]
    return described(out)


PARTS = [SuitePart(name="fct_appeals.totals", sql=SQL, expectations=expectations, description="T4.H1, T4.H2")]
