-- Table 三 cells of published reports with the published value and its origin (macro published_cells).
{{ config(materialized='view') }}
{{ published_cells('t3', 'stg_raw__t3_cells', 'row_code', 'col_code', 'bigint') }}
