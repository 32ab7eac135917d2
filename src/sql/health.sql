-- Health: versions, settings, table sizes, the last analysis and the runs, in one jsonb.

CREATE FUNCTION collatz_health() RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    report jsonb;
BEGIN
    PERFORM @extschema@.collatz_library_version();  -- loads the library, which defines the GUCs read below
    SELECT jsonb_build_object(
        'version', (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'collatz_ext'),
        'library_version', @extschema@.collatz_library_version(),
        'settings', (SELECT jsonb_object_agg(name, setting || coalesce(unit, ''))
                     FROM pg_catalog.pg_settings WHERE name LIKE 'collatz.%'),
        'tables', (SELECT jsonb_object_agg(c.relname, jsonb_build_object(
                              'estimated_rows', greatest(c.reltuples, 0)::bigint,
                              'bytes', pg_catalog.pg_total_relation_size(c.oid)))
                   FROM pg_catalog.pg_class c
                   WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind = 'r'),
        'last_analysis', (SELECT to_jsonb(a) FROM @extschema@.v_range_analysis a
                          ORDER BY a.analysis_date DESC, a.analysis_id DESC LIMIT 1),
        'runs', (SELECT jsonb_object_agg(state, n) FROM (SELECT state, count(*) AS n
                 FROM @extschema@.v_pipeline_progress GROUP BY state) s)
    ) INTO report;
    RETURN report;
END $$;
COMMENT ON FUNCTION collatz_health() IS
    'Version (SQL and library), settings, table sizes, the last analysis and the pipeline runs by state, as jsonb';
