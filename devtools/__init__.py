"""Development tools, outside the runtime package ``dagster_project``: the synthetic report generator
(``devtools.synth``), benchmarks (``devtools.bench``, ``devtools.bench_national``) and the KPI oracle used by
the tests (``devtools.kpi_oracle``). Nothing under ``dagster_project/`` imports them."""
