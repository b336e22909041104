"""Suite over ``reports``: the accounting behind publication (issue 3).

* every file has one row and one of the four statuses;
* a published report has no failed hard check; a quarantined one has at least one;
* an unreadable report says why (`error`); a duplicate names its canonical copy.
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from dagster_project.lib.warehouse.quality import SuitePart

from ._common import meta

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
    return [
        gxe.ExpectColumnValuesToBeUnique(column="report_id", meta=meta("report_id is a key")),
        gxe.ExpectColumnValuesToBeUnique(column="source_path", meta=meta("one row per landing file")),
        gxe.ExpectColumnValuesToBeInSet(column="status", value_set=["published", "quarantined", "unreadable", "duplicate"],
                                        meta=meta("status")),
        gxe.ExpectColumnValuesToNotBeNull(column="status", meta=meta("status")),
        gxe.ExpectColumnValuesToBeBetween(column="published_errors", min_value=0, max_value=0,
                                          meta=meta("published reports pass every hard check")),
        gxe.ExpectColumnValuesToBeBetween(column="quarantined_errors", min_value=1,
                                          meta=meta("quarantined reports fail a hard check")),
        gxe.ExpectColumnValuesToBeInSet(column="unreadable_without_reason", value_set=[False],
                                        meta=meta("unreadable reports say why")),
        gxe.ExpectColumnValuesToBeInSet(column="duplicate_points_elsewhere", value_set=[True],
                                        meta=meta("duplicates name their canonical copy")),
    ]


PARTS = [SuitePart(name="reports.accounting", sql=SQL, expectations=expectations, description="accounting")]
