-- Table 四 cells of published reports with the published value and its origin (macro published_cells).
{{ config(materialized='view') }}
{{ published_cells('t4', 'stg_raw__t4_cells', 'proceeding', 'result', 'bigint') }}
