"""Write the dbt YAML files that follow from ``dagster_project/lib/warehouse/schema.py`` (the one schema
declaration): ``python -m devtools.gen_sources``. A test holds the committed files equal to the generated ones."""

from __future__ import annotations

from dagster_project.lib.warehouse.paths import PROJECT_ROOT
from dagster_project.lib.warehouse.schema import GENERATED


def main() -> None:
    for rel, render in GENERATED.items():
        path = PROJECT_ROOT / rel
        path.write_text(render(), encoding="utf-8")
        print(f"wrote {rel}")


if __name__ == "__main__":
    main()
