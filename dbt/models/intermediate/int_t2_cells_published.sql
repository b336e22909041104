-- Table 二 cells of published reports with the published value and its origin (macro published_cells).
{{ config(materialized='view') }}
{{ published_cells('t2', 'stg_raw__t2_cells', 'item', 'measure', 'double') }}
