"""Pure core of gongkai: parsing, splitting, checking. Nothing under lib/ imports dagster."""
