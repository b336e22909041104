"""One schema declaration (lib/warehouse/schema.py): the Arrow schemas, the DuckDB DDL and the dbt YAML follow
from it (issue 10)."""

from __future__ import annotations

import pyarrow as pa

from dagster_project.lib.warehouse.paths import PROJECT_ROOT
from dagster_project.lib.warehouse.schema import GENERATED, RAW_TABLES, arrow_schema, ddl


def test_committed_dbt_yaml_is_the_generated_one():
    for rel, render in GENERATED.items():
        committed = (PROJECT_ROOT / rel).read_text(encoding="utf-8")
        assert committed == render(), f"{rel} is stale: run `python -m devtools.gen_sources`"


def test_ddl_and_arrow_schema_name_the_same_columns_with_matching_types():
    import duckdb

    con = duckdb.connect()
    con.execute("create schema raw")
    for t in RAW_TABLES:
        con.execute(ddl(t))
        described = con.execute(f"describe raw.{t.name}").fetchall()
        assert [r[0] for r in described] == t.names
        # an empty Arrow table of the declared schema inserts without a cast
        con.register("_empty", pa.Table.from_pylist([], schema=arrow_schema(t)))
        con.execute(f"insert into raw.{t.name} select * from _empty")
        con.unregister("_empty")
        assert [str(r[1]).lower() for r in described] == [c.duck for c in t.columns]
