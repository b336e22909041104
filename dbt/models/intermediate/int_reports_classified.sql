-- One row per landing file with its report id, parse outcome and publication status.
-- The state of a report is the parser's, unless raw.report_adjustments (Dagster asset raw_adjustments,
-- dagster_project/lib/warehouse/adjust.py, run on every `gongkai run`) says otherwise: an audited correction
-- re-checks a report (n_errors, parse status after correction), cross-report warnings add to n_warnings,
-- resolved ambiguous parts lower n_ambiguous.
-- Status rules (issue 3 accounting), first match wins:
--   duplicate    identical content to an earlier file (by source_path), or the same agency (agency_id of
--                lib/agency.py, through raw.agency_names; the exact name when it has none) + year as a better
--                copy (clean after corrections first, then latest publish_date, html > docx > pdf > txt, then
--                source_path) — canonical_report_id names the copy that is published.
--                lib/warehouse/adjust.py (canonical_sort_key) mirrors this order for the cross-report checks.
--   unreadable   the parser could not read it, or it is not an annual report (reason in `error`)
--   quarantined  any error-severity check after corrections
--   published    everything else
with

files as (
    select * from {{ ref('stg_raw__landing_files') }}
),

parsed as (
    select * from {{ ref('stg_raw__parsed_reports') }}
),

agency_names as (
    select * from {{ source('raw_analysis', 'agency_names') }}
),

adjustments as (
    select * from {{ ref('stg_raw__report_adjustments') }}
),

joined as (
    select
        files.source_path,
        coalesce(parsed.parsed_format, files.ext_format) as source_format,
        files.size_bytes,
        files.content_sha256,
        files.parse_key,
        coalesce(parsed.parse_status, 'unreadable') as parse_status,
        case
            when parsed.parse_key is null then 'not parsed'
            when parsed.parse_status = 'not_a_report'
                then coalesce(parsed.error, 'not an annual report on government information disclosure')
            when parsed.parse_status = 'unreadable' then coalesce(parsed.error, 'unreadable')
            else parsed.error
        end as error,
        parsed.agency_name,
        agency_names.agency_id,
        parsed.report_year,
        parsed.template_version,
        parsed.publish_date,
        coalesce(parsed.n_errors, 0) as n_errors,
        coalesce(parsed.n_warnings, 0) as n_warnings,
        coalesce(parsed.n_ambiguous, 0) as n_ambiguous,
        parsed.ambiguous_json,
        parsed.suggested_repair,
        parsed.suggested_repair_json
    from files
    left join parsed on parsed.parse_key = files.parse_key
    left join agency_names on agency_names.agency_name = parsed.agency_name
),

content_copies as (
    select
        *,
        row_number() over (partition by content_sha256 order by source_path) as content_copy,
        left(content_sha256, 16) as content_id
    from joined
),

with_ids as (
    select
        *,
        -- stable, from the content; a second file with identical bytes gets a suffix from its path
        case
            when content_copy = 1 then content_id
            else content_id || '-' || left(sha256(source_path), 8)
        end as report_id,
        parse_status in ('ok', 'invariant_errors') as is_parsed_report
    from content_copies
),

with_adjustments as (
    select
        with_ids.* replace (
            coalesce(adjustments.n_errors, with_ids.n_errors) as n_errors,
            coalesce(adjustments.n_warnings, with_ids.n_warnings) as n_warnings,
            coalesce(adjustments.n_ambiguous, with_ids.n_ambiguous) as n_ambiguous,
            case when adjustments.report_id is null then with_ids.ambiguous_json
                 else adjustments.ambiguous_json end as ambiguous_json,
            case when adjustments.rechecked then adjustments.suggested_repair
                 else with_ids.suggested_repair end as suggested_repair,
            case when adjustments.rechecked then adjustments.suggested_repair_json
                 else with_ids.suggested_repair_json end as suggested_repair_json
        ),
        coalesce(adjustments.parse_status, with_ids.parse_status) as checked_status,
        coalesce(adjustments.rechecked, false) as rechecked,
        coalesce(adjustments.n_corrected_cells, 0) as n_corrected_cells,
        coalesce(adjustments.n_resolved_parts, 0) as n_resolved_parts
    from with_ids
    left join adjustments on adjustments.report_id = with_ids.report_id
),

agency_year_ranked as (
    select
        report_id,
        row_number() over agency_year as agency_year_rank,
        first_value(report_id) over agency_year as agency_year_canonical_id
    from with_adjustments
    where content_copy = 1
      and is_parsed_report
      and agency_name is not null
      and report_year is not null
    window agency_year as (
        partition by coalesce(agency_id, agency_name), report_year
        order by
            case when checked_status = 'ok' and n_errors = 0 then 0 else 1 end,
            publish_date desc nulls last,
            case source_format when 'html' then 0 when 'docx' then 1 when 'pdf' then 2 when 'txt' then 3 else 4 end,
            source_path
    )
),

content_canonical as (
    select
        with_ids.content_sha256,
        coalesce(agency_year_ranked.agency_year_canonical_id, with_ids.report_id) as canonical_id
    from with_adjustments as with_ids
    left join agency_year_ranked using (report_id)
    where with_ids.content_copy = 1
),

classified as (
    select
        with_ids.*,
        agency_year_ranked.agency_year_rank,
        case
            when with_ids.content_copy > 1 then 'identical_content'
            when agency_year_ranked.agency_year_rank > 1 then 'same_agency_year'
        end as duplicate_reason,
        case
            when with_ids.content_copy > 1 then 'duplicate'
            when not with_ids.is_parsed_report then 'unreadable'
            when agency_year_ranked.agency_year_rank > 1 then 'duplicate'
            when with_ids.checked_status = 'invariant_errors' or with_ids.n_errors > 0 then 'quarantined'
            else 'published'
        end as status,
        case
            when with_ids.content_copy > 1 then content_canonical.canonical_id
            when agency_year_ranked.agency_year_rank > 1 then agency_year_ranked.agency_year_canonical_id
            else with_ids.report_id
        end as canonical_report_id
    from with_adjustments as with_ids
    left join agency_year_ranked using (report_id)
    left join content_canonical using (content_sha256)
),

final as (
    select
        ----------  ids
        report_id,
        parse_key,
        content_sha256,
        canonical_report_id,
        ----------  file
        source_path,
        source_format,
        size_bytes,
        ----------  report
        agency_name,
        agency_id,
        report_year,
        template_version,
        publish_date,
        ----------  outcome
        status,
        parse_status,
        error,
        duplicate_reason,
        report_id = canonical_report_id as is_canonical,
        n_errors,
        n_warnings,
        n_ambiguous,
        ambiguous_json,
        suggested_repair,
        suggested_repair_json,
        rechecked,
        n_corrected_cells,
        n_resolved_parts
    from classified
)

select * from final
