-- Retention: old rows out, per table, with a dry run first.

-- What a cleanup removes, per table: rows older than the cutoff (by each table's own time
-- column), and beyond the keep_last newest. Sequences take their steps with them (ON DELETE
-- CASCADE); analyses lose their experiment link only when experiments go, which is never here.
CREATE FUNCTION cleanup_old_data(older_than interval DEFAULT NULL, keep_last integer DEFAULT NULL,
                                 targets text[] DEFAULT ARRAY['performance_metrics', 'analysis_results', 'pipeline_runs'],
                                 dry_run boolean DEFAULT true)
RETURNS TABLE (table_name text, rows_matched bigint, steps_matched bigint, deleted boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    cutoff timestamptz;
    target text;
    time_column text;
    ids bigint[];
    matched bigint;
    steps bigint;
    started timestamptz := clock_timestamp();
    total bigint := 0;
BEGIN
    PERFORM @extschema@.collatz_library_version();  -- loads the library, which defines the GUCs read below
    IF dry_run IS NULL OR targets IS NULL THEN
        RAISE EXCEPTION 'cleanup_old_data: dry_run and targets must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Leave them out to use the defaults.';
    END IF;
    IF keep_last < 0 THEN
        RAISE EXCEPTION 'cleanup_old_data: keep_last must not be negative, got %', keep_last
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF older_than < interval '0' THEN
        RAISE EXCEPTION 'cleanup_old_data: older_than must not be negative, got %', older_than
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT t INTO target FROM unnest(targets) t
    WHERE t IS NULL OR t NOT IN ('performance_metrics', 'analysis_results', 'pipeline_runs', 'collatz_sequences', 'sequence_steps');
    IF FOUND THEN
        RAISE EXCEPTION 'cleanup_old_data: unknown target %', coalesce(quote_literal(target), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Targets: performance_metrics, analysis_results, pipeline_runs, collatz_sequences, sequence_steps.';
    END IF;
    -- Without keep_last, the age defaults to collatz.retention_days; with it, age applies only if given.
    IF older_than IS NOT NULL OR keep_last IS NULL THEN
        cutoff := now() - coalesce(older_than, make_interval(days => current_setting('collatz.retention_days')::int));
    END IF;

    FOREACH target IN ARRAY targets LOOP
        time_column := CASE target WHEN 'performance_metrics' THEN 'recorded_at' WHEN 'analysis_results' THEN 'analysis_date'
                                   WHEN 'pipeline_runs' THEN 'updated_at' ELSE 'created_at' END;
        -- The rows in question: old enough and beyond the newest keep_last. Unfinished
        -- pipeline runs are never touched; sequence_steps goes by its sequence's age.
        EXECUTE format($q$
            SELECT coalesce(array_agg(id), '{}') FROM (
                SELECT t.id, t.%2$I AS at, row_number() OVER (ORDER BY t.%2$I DESC, t.id DESC) AS newest
                FROM @extschema@.%1$I t %3$s
            ) ranked
            WHERE ($1 IS NULL OR at < $1) AND ($2 IS NULL OR newest > $2)$q$,
            CASE target WHEN 'sequence_steps' THEN 'collatz_sequences' ELSE target END,
            time_column,
            CASE target WHEN 'pipeline_runs' THEN $w$WHERE t.status = 'done'$w$ ELSE '' END)
        INTO ids
        USING cutoff, keep_last;
        matched := cardinality(ids);
        steps := 0;
        IF target IN ('collatz_sequences', 'sequence_steps') THEN
            SELECT coalesce(sum(cardinality(st.terms)), 0) INTO steps FROM @extschema@.sequence_terms st WHERE st.sequence_id = ANY (ids);
        END IF;
        IF NOT dry_run THEN
            IF target = 'sequence_steps' THEN
                DELETE FROM @extschema@.sequence_terms WHERE sequence_id = ANY (ids);
            ELSE
                EXECUTE format('DELETE FROM @extschema@.%I WHERE id = ANY ($1)', target) USING ids;
            END IF;
        END IF;
        total := total + matched;
        table_name := target;
        rows_matched := CASE WHEN target = 'sequence_steps' THEN steps ELSE matched END;
        steps_matched := CASE WHEN target IN ('collatz_sequences', 'sequence_steps') THEN steps ELSE 0 END;
        deleted := NOT dry_run;
        RETURN NEXT;
    END LOOP;
    IF NOT dry_run THEN
        PERFORM collatz_internal.record_metric('cleanup', collatz_internal.elapsed_ms(started), total,
            jsonb_build_object('older_than', older_than, 'keep_last', keep_last, 'targets', targets));
    END IF;
END $$;
COMMENT ON FUNCTION cleanup_old_data(interval, integer, text[], boolean) IS
    'Retention: rows older than older_than (default collatz.retention_days) and beyond the keep_last newest, per target table; dry_run (the default) only counts';

CREATE PROCEDURE sp_cleanup_old_data(older_than interval DEFAULT NULL, keep_last integer DEFAULT NULL,
                                     targets text[] DEFAULT ARRAY['performance_metrics', 'analysis_results', 'pipeline_runs'],
                                     dry_run boolean DEFAULT true)
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    -- No SET clause (it COMMITs): every name and operator is qualified.
    FOR r IN SELECT * FROM @extschema@.cleanup_old_data(older_than, keep_last, targets, dry_run) LOOP
        RAISE NOTICE '%: % % rows%', r.table_name, CASE WHEN r.deleted THEN 'deleted' ELSE 'would delete' END,
            r.rows_matched,
            CASE WHEN r.steps_matched OPERATOR(pg_catalog.>) 0 AND r.table_name OPERATOR(pg_catalog.=) 'collatz_sequences'
                 THEN pg_catalog.format(' (and their %s steps)', r.steps_matched) ELSE '' END;
    END LOOP;
    COMMIT;
END $$;
COMMENT ON PROCEDURE sp_cleanup_old_data(interval, integer, text[], boolean) IS
    'Retention with a report per table; dry_run => true (the default) deletes nothing. See cleanup_old_data for the function form.';
