"""Great Expectations suites, as code (loaded by ``dagster_project.lib.warehouse.quality``)."""
