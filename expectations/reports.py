"""Suite over ``reports``: the accounting behind publication (issue 3).

* every file has one row and one of the four statuses;
* a published report has no failed hard check; a quarantined one has at least one;
* an unreadable report says why (`error`); a duplicate names its canonical copy.
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from dagster_project.lib.warehouse.quality import SuitePart

from ._common import described, meta

MART = "reports"

SQL = """
select
    report_id, source_path, status,
    case when status = 'published' then n_errors end as published_errors,
    case when status = 'quarantined' then n_errors end as quarantined_errors,
    status = 'unreadable' and coalesce(error, '') = '' as unreadable_without_reason,
    case when status = 'duplicate' then canonical_report_id end as duplicate_canonical,
    case when status = 'duplicate' then canonical_report_id <> report_id end as duplicate_points_elsewhere
from {reports}
"""


def expectations():
    return described([
        gxe.ExpectColumnValuesToBeUnique(column="report_id", meta=meta("GRAIN report_id is a key", "报告编号 (内容哈希)")),
        gxe.ExpectColumnValuesToBeUnique(column="source_path", meta=meta("GRAIN one row per landing file", "文件路径")),
        gxe.ExpectColumnValuesToBeInSet(column="status", value_set=["published", "quarantined", "unreadable", "duplicate"],
                                        meta=meta("ACCOUNTING status is one of the four", "状态: 已发布、隔离、无法读取、重复")),
        gxe.ExpectColumnValuesToNotBeNull(column="status", meta=meta("ACCOUNTING every file has a status", "状态")),
        gxe.ExpectColumnValuesToBeBetween(column="published_errors", min_value=0, max_value=0,
                                          meta=meta("ACCOUNTING published reports pass every hard check (T*.H*)", "已发布 ⇒ 无硬性校验错误")),
        gxe.ExpectColumnValuesToBeBetween(column="quarantined_errors", min_value=1,
                                          meta=meta("ACCOUNTING quarantined reports fail a hard check (T*.H*, P.*)", "隔离 ⇒ 至少一项硬性校验错误")),
        gxe.ExpectColumnValuesToBeInSet(column="unreadable_without_reason", value_set=[False],
                                        meta=meta("ACCOUNTING unreadable reports say why", "无法读取 ⇒ 说明原因")),
        gxe.ExpectColumnValuesToBeInSet(column="duplicate_points_elsewhere", value_set=[True],
                                        meta=meta("ACCOUNTING duplicates name their canonical copy (X.S10)", "重复 ⇒ 指向保留的副本")),
    ])


PARTS = [SuitePart(name="reports.accounting", sql=SQL, expectations=expectations, description="accounting")]
