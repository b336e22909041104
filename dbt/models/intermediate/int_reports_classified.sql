-- One row per landing file with its report id, parse outcome and publication status.
-- Status rules (issue 3 accounting), first match wins:
--   duplicate    identical content to an earlier file (by source_path), or the same agency + year
--                as a better copy (clean parse first, then latest publish_date, html > docx > pdf >
--                txt, then source_path) — canonical_report_id names the copy that is published
--   unreadable   the parser could not read it, or it is not an annual report (reason in `error`)
--   quarantined  any error-severity check (parse status invariant_errors)
--   published    everything else
with

files as (
    select * from {{ ref('stg_raw__landing_files') }}
),

parsed as (
    select * from {{ ref('stg_raw__parsed_reports') }}
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

agency_year_ranked as (
    select
        report_id,
        row_number() over agency_year as agency_year_rank,
        first_value(report_id) over agency_year as agency_year_canonical_id
    from with_ids
    where content_copy = 1
      and is_parsed_report
      and agency_name is not null
      and report_year is not null
    window agency_year as (
        partition by agency_name, report_year
        order by
            case when parse_status = 'ok' and n_errors = 0 then 0 else 1 end,
            publish_date desc nulls last,
            case source_format when 'html' then 0 when 'docx' then 1 when 'pdf' then 2 when 'txt' then 3 else 4 end,
            source_path
    )
),

content_canonical as (
    select
        with_ids.content_sha256,
        coalesce(agency_year_ranked.agency_year_canonical_id, with_ids.report_id) as canonical_id
    from with_ids
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
            when with_ids.parse_status = 'invariant_errors' or with_ids.n_errors > 0 then 'quarantined'
            else 'published'
        end as status,
        case
            when with_ids.content_copy > 1 then content_canonical.canonical_id
            when agency_year_ranked.agency_year_rank > 1 then agency_year_ranked.agency_year_canonical_id
            else with_ids.report_id
        end as canonical_report_id
    from with_ids
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
        suggested_repair_json
    from classified
)

select * from final
