-- collatz_ext_cluster 0.1.0: collatz_ext's analysis and storage over a PL/Proxy cluster.
--
-- The coordinator holds this extension; every node holds collatz_ext alone. A cluster is a
-- PL/Proxy SQL/MED server (CREATE SERVER ... FOREIGN DATA WRAPPER plproxy OPTIONS (p0 ...,
-- p1 ...)) that a superuser declared. Every function that talks to the nodes is SECURITY
-- DEFINER: it reaches them through the user mapping of the extension's owner, so that what a
-- coordinator role may do on the nodes is what this extension's levels let it do
-- (cluster_grant), and what the coordinator stores (analysis_results, the checkpoints) comes
-- from nodes the superuser declared, never from a caller. The functions compute from ranges
-- and numbers; none accepts a result.
--
-- Routing rule of the stored sequences: number n lives on partition n % N of a cluster of N
-- partitions (p0 ... pN-1 of the server's options).

\echo Use "CREATE EXTENSION collatz_ext_cluster CASCADE" to load this file. \quit

-- The helpers, out of reach of every level (nothing there is granted).
CREATE SCHEMA collatz_cluster_internal;
COMMENT ON SCHEMA collatz_cluster_internal IS 'Helpers of collatz_ext_cluster: PL/Proxy calls to the nodes, checks, plans (owner only)';

-- Whether a collatz_ext version (its extversion, any suffix after the numbers ignored) is
-- older than the one this companion needs: 0.6.0, which has analyze_segment for the nodes and
-- record_analysis, check_conflict_strategy and collatz_check_range for the coordinator.
CREATE FUNCTION collatz_cluster_internal.too_old(version text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
    SELECT string_to_array(substring(version FROM '^[0-9]+(?:\.[0-9]+)*'), '.')::int[] < '{0,6,0}'::int[]
$$;
COMMENT ON FUNCTION collatz_cluster_internal.too_old(text) IS
    'Whether a collatz_ext version is older than 0.6.0, the one the coordinator and every node need';

DO $$
BEGIN
    IF collatz_cluster_internal.too_old((SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname = 'collatz_ext')) THEN
        RAISE EXCEPTION 'collatz_ext_cluster needs collatz_ext 0.6.0 or later'
            USING ERRCODE = 'feature_not_supported', HINT = 'ALTER EXTENSION collatz_ext UPDATE first.';
    END IF;
END $$;

------------------------------------------------------------------------------------------
-- The cluster: which partitions, and may we trust it.
------------------------------------------------------------------------------------------

-- The connection strings of a cluster's partitions, in partition order, once the cluster is
-- known to be a PL/Proxy server owned by a superuser: only such a server's nodes are trusted
-- to compute what the coordinator stores (a role granted USAGE on the plproxy wrapper could
-- otherwise declare a "cluster" of its own, and own its user mappings, answering anything).
CREATE FUNCTION collatz_cluster_internal.partitions(cluster_name text, caller text)
RETURNS text[]
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    server record;
    conns text[];
BEGIN
    IF cluster_name IS NULL THEN
        RAISE EXCEPTION '%: cluster_name must not be NULL', caller
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Leave it out for the default cluster, collatz_cluster.';
    END IF;
    SELECT s.srvoptions, r.rolsuper, r.rolname INTO server
    FROM pg_foreign_server s
    JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw AND w.fdwname = 'plproxy'
    JOIN pg_roles r ON r.oid = s.srvowner
    WHERE s.srvname = cluster_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION '%: no PL/Proxy cluster named %', caller, quote_literal(cluster_name)
            USING ERRCODE = 'undefined_object',
                  HINT = 'Declare it: CREATE SERVER ' || quote_ident(cluster_name)
                         || ' FOREIGN DATA WRAPPER plproxy OPTIONS (p0 ''host=...'', ...), and a user mapping for the extension''s owner (README, "Beyond one machine").';
    END IF;
    IF NOT server.rolsuper THEN
        RAISE EXCEPTION '%: cluster % belongs to %, who is not a superuser', caller, quote_ident(cluster_name), quote_ident(server.rolname)
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Only a cluster a superuser declared is trusted with the coordinator''s results: ALTER SERVER ... OWNER TO a superuser.';
    END IF;
    -- PL/Proxy's validator has checked them when the server was declared or altered: p0 to
    -- pN-1, N >= 1 and a power of 2 unless modular_mapping.
    SELECT array_agg(substr(o, strpos(o, '=') + 1) ORDER BY substr(split_part(o, '=', 1), 2)::int)
    INTO conns
    FROM unnest(server.srvoptions) AS o WHERE o ~ '^p[0-9]+=';
    RETURN conns;
END $$;
COMMENT ON FUNCTION collatz_cluster_internal.partitions(text, text) IS
    'Connection strings of a cluster''s partitions in order, after checking that it is a PL/Proxy server owned by a superuser';

-- PL/Proxy's CLUSTER statement takes the name through this check on every call.
CREATE FUNCTION collatz_cluster_internal.trusted_cluster(cluster_name text) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM collatz_cluster_internal.partitions(cluster_name, 'collatz_ext_cluster');
    RETURN cluster_name;
END $$;
COMMENT ON FUNCTION collatz_cluster_internal.trusted_cluster(text) IS
    'The cluster name, once partitions() has accepted it (PL/Proxy''s CLUSTER statement calls it)';

-- A connection string as an error or a status shows it: without a password.
CREATE FUNCTION collatz_cluster_internal.shown(connection text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT regexp_replace(connection, 'password\s*=\s*(''([^''\\]|\\.)*''|\S+)', 'password=***', 'gi')
$$;
COMMENT ON FUNCTION collatz_cluster_internal.shown(text) IS 'A connection string with its password masked';

------------------------------------------------------------------------------------------
-- The calls to the nodes (PL/Proxy). Each runs its SELECT on the partitions it names, as
-- the node role of the caller's user mapping: the extension's owner's, since only the
-- SECURITY DEFINER functions below call them. Names in the SELECTs are qualified; the
-- arguments travel as parameters.
------------------------------------------------------------------------------------------

-- What the nodes answer: one part's records, and one partition's summary.
CREATE TYPE collatz_cluster_internal.analysis_part AS (
    part int, start_range bigint, end_range bigint, longest_sequence bigint,
    longest_sequence_length bigint, highest_peak bigint, highest_peak_value numeric,
    numbers_analyzed bigint, duration_ms double precision);
COMMENT ON TYPE collatz_cluster_internal.analysis_part IS 'One part''s answer from its node (collatz.analyze_segment) and the partition it ran on';

CREATE TYPE collatz_cluster_internal.summary_part AS (
    total_sequences bigint, smallest_number bigint, largest_number bigint, length_sum numeric,
    longest_sequence_length bigint, longest_sequence_number bigint, highest_peak numeric,
    highest_peak_number bigint, sequences_with_steps bigint, stored_steps bigint,
    first_stored_at timestamptz, last_stored_at timestamptz);
COMMENT ON TYPE collatz_cluster_internal.summary_part IS 'One partition''s v_sequence_summary, with the sum of lengths behind its mean';

CREATE FUNCTION collatz_cluster_internal.node_version(cluster_name text, part int) RETURNS text
LANGUAGE plproxy SET search_path = pg_catalog, pg_temp AS $$
    CLUSTER collatz_cluster_internal.trusted_cluster(cluster_name);
    RUN ON part;
    SELECT e.extversion AS node_version FROM pg_catalog.pg_extension e WHERE e.extname = 'collatz_ext';
$$;
COMMENT ON FUNCTION collatz_cluster_internal.node_version(text, int) IS
    'collatz_ext''s version on one partition (NULL if it lacks the extension); an error if the node does not answer';

-- Analyses parts on the partitions named beside them, all partitions at once; each part is
-- one collatz.analyze_segment call on its node, judged against the whole run (so that the
-- parts together cost what the run costs in one piece), which records it in the node's own
-- performance_metrics. The node holds an advisory lock on the part while it works, so that
-- node_wait can tell when a call abandoned by a failed round has finished.
CREATE FUNCTION collatz_cluster_internal.node_analyze(cluster_name text, parts int[], starts bigint[], ends bigint[],
                                                      run_start bigint, run_end bigint)
RETURNS SETOF collatz_cluster_internal.analysis_part
LANGUAGE plproxy SET search_path = pg_catalog, pg_temp AS $$
    CLUSTER collatz_cluster_internal.trusted_cluster(cluster_name);
    SPLIT parts, starts, ends;
    RUN ON parts;
    SELECT u.p AS part, u.s AS start_range, u.e AS end_range, a.longest_sequence, a.longest_sequence_length,
           a.highest_peak, a.highest_peak_value, a.numbers_analyzed, a.duration_ms
    FROM (SELECT pg_catalog.count(pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(
                     pg_catalog.format('collatz_ext_cluster %s %s %s %s', l.s, l.e, run_start, run_end), 0))) AS locks
          FROM ROWS FROM (pg_catalog.unnest(parts), pg_catalog.unnest(starts), pg_catalog.unnest(ends)) AS l(p, s, e)) k
    CROSS JOIN ROWS FROM (pg_catalog.unnest(parts), pg_catalog.unnest(starts), pg_catalog.unnest(ends)) AS u(p, s, e)
    -- The first argument depends on k, so the locks are taken before any analysis.
    CROSS JOIN LATERAL collatz.analyze_segment(CASE WHEN k.locks IS NOT NULL THEN u.s END, u.e, run_start, run_end) a;
$$;
COMMENT ON FUNCTION collatz_cluster_internal.node_analyze(text, int[], bigint[], bigint[], bigint, bigint) IS
    'Runs collatz.analyze_segment on each partition for the parts given to it, all partitions in parallel';

-- Waits until no session of the node analyses that part any more (a call abandoned when
-- another node failed goes on and commits), so that node_stored_segment sees its result.
CREATE FUNCTION collatz_cluster_internal.node_wait(cluster_name text, part int, s bigint, e bigint,
                                                   run_start bigint, run_end bigint) RETURNS bigint
LANGUAGE plproxy SET search_path = pg_catalog, pg_temp AS $$
    CLUSTER collatz_cluster_internal.trusted_cluster(cluster_name);
    RUN ON part;
    SELECT pg_catalog.count(pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(
               pg_catalog.format('collatz_ext_cluster %s %s %s %s', s, e, run_start, run_end), 0))) AS node_wait;
$$;
COMMENT ON FUNCTION collatz_cluster_internal.node_wait(text, int, bigint, bigint, bigint, bigint) IS
    'Returns once no session of the node analyses that part for the cluster';

-- The latest answer for exactly that part recorded on the node (collatz.analyze_segment
-- records its records in performance_metrics, which only collatz_ext's own code writes).
CREATE FUNCTION collatz_cluster_internal.node_stored_segment(cluster_name text, on_part int, s bigint, e bigint,
                                                             run_start bigint, run_end bigint)
RETURNS SETOF collatz_cluster_internal.analysis_part
LANGUAGE plproxy SET search_path = pg_catalog, pg_temp AS $$
    CLUSTER collatz_cluster_internal.trusted_cluster(cluster_name);
    RUN ON on_part;
    -- (PL/Proxy replaces an argument's name wherever it stands, an alias too.)
    SELECT on_part AS part, s AS start_range, e AS end_range,
           (m.context OPERATOR(pg_catalog.->>) 'longest_sequence')::bigint AS longest_sequence,
           (m.context OPERATOR(pg_catalog.->>) 'longest_sequence_length')::bigint AS longest_sequence_length,
           (m.context OPERATOR(pg_catalog.->>) 'highest_peak')::bigint AS highest_peak,
           (m.context OPERATOR(pg_catalog.->>) 'highest_peak_value')::numeric AS highest_peak_value,
           m.rows_processed AS numbers_analyzed, m.execution_time AS duration_ms
    FROM collatz.performance_metrics m
    WHERE m.operation_type OPERATOR(pg_catalog.=) 'analyze_segment'
      AND m.context OPERATOR(pg_catalog.@>) pg_catalog.jsonb_build_object('start_range', s, 'end_range', e,
                                                                          'run_start', run_start, 'run_end', run_end)
    ORDER BY m.id DESC LIMIT 1;
$$;
COMMENT ON FUNCTION collatz_cluster_internal.node_stored_segment(text, int, bigint, bigint, bigint, bigint) IS
    'The latest answer for exactly that part recorded in one partition''s performance_metrics, if any';

-- Stores, on each partition named, the numbers firsts[i], firsts[i] + step, ... up to
-- last_number: the numbers of the range that the routing rule gives it.
CREATE FUNCTION collatz_cluster_internal.node_insert_range(cluster_name text, parts int[], firsts bigint[],
                                                           last_number bigint, step int, on_conflict text)
RETURNS TABLE (part int, written bigint)
LANGUAGE plproxy SET search_path = pg_catalog, pg_temp AS $$
    CLUSTER collatz_cluster_internal.trusted_cluster(cluster_name);
    SPLIT parts, firsts;
    RUN ON parts;
    SELECT u.p AS part,
           collatz.batch_save_sequences(ARRAY(SELECT g FROM pg_catalog.generate_series(u.f, last_number, step::bigint) AS g),
                                        false, on_conflict) AS written
    FROM ROWS FROM (pg_catalog.unnest(parts), pg_catalog.unnest(firsts)) AS u(p, f);
$$;
COMMENT ON FUNCTION collatz_cluster_internal.node_insert_range(text, int[], bigint[], bigint, int, text) IS
    'Stores on each partition its share of a range (every step-th number from its first one)';

CREATE FUNCTION collatz_cluster_internal.node_insert_numbers(cluster_name text, parts int[], numbers bigint[], on_conflict text)
RETURNS TABLE (part int, written bigint)
LANGUAGE plproxy SET search_path = pg_catalog, pg_temp AS $$
    CLUSTER collatz_cluster_internal.trusted_cluster(cluster_name);
    SPLIT parts, numbers;
    RUN ON parts;
    SELECT (parts)[1] AS part, collatz.batch_save_sequences(numbers, false, on_conflict) AS written;
$$;
COMMENT ON FUNCTION collatz_cluster_internal.node_insert_numbers(text, int[], bigint[], text) IS
    'Stores on each partition the numbers routed to it';

CREATE FUNCTION collatz_cluster_internal.node_get_sequence(cluster_name text, part int, n bigint)
RETURNS TABLE (number bigint, sequence_length bigint, steps_to_one bigint, max_value numeric,
               created_at timestamptz, stored boolean)
LANGUAGE plproxy SET search_path = pg_catalog, pg_temp AS $$
    CLUSTER collatz_cluster_internal.trusted_cluster(cluster_name);
    RUN ON part;
    SELECT g.number, g.sequence_length, g.steps_to_one, g.max_value, g.created_at, g.stored
    FROM collatz.get_sequence(n) g;
$$;
COMMENT ON FUNCTION collatz_cluster_internal.node_get_sequence(text, int, bigint) IS
    'collatz.get_sequence(n) on one partition';

CREATE FUNCTION collatz_cluster_internal.node_find(cluster_name text, start_number bigint, end_number bigint,
                                                   page_size int, after_number bigint, min_length bigint, max_length bigint)
RETURNS TABLE (number bigint, sequence_length bigint, steps_to_one bigint, max_value numeric, created_at timestamptz)
LANGUAGE plproxy SET search_path = pg_catalog, pg_temp AS $$
    CLUSTER collatz_cluster_internal.trusted_cluster(cluster_name);
    RUN ON ALL;
    SELECT f.number, f.sequence_length, f.steps_to_one, f.max_value, f.created_at
    FROM collatz.find_sequences_in_range(start_number, end_number, page_size, after_number, min_length, max_length) f;
$$;
COMMENT ON FUNCTION collatz_cluster_internal.node_find(text, bigint, bigint, int, bigint, bigint, bigint) IS
    'The first page of each partition (collatz.find_sequences_in_range), all partitions in parallel';

-- v_sequence_summary of each partition, with the exact sum of lengths behind its mean.
CREATE FUNCTION collatz_cluster_internal.node_summary(cluster_name text)
RETURNS SETOF collatz_cluster_internal.summary_part
LANGUAGE plproxy SET search_path = pg_catalog, pg_temp AS $$
    CLUSTER collatz_cluster_internal.trusted_cluster(cluster_name);
    RUN ON ALL;
    SELECT v.total_sequences, v.smallest_number, v.largest_number,
           (SELECT pg_catalog.sum(t.length_sum) FROM collatz.collatz_totals t) AS length_sum,
           v.longest_sequence_length, v.longest_sequence_number, v.highest_peak, v.highest_peak_number,
           v.sequences_with_steps, v.stored_steps, v.first_stored_at, v.last_stored_at
    FROM collatz.v_sequence_summary v;
$$;
COMMENT ON FUNCTION collatz_cluster_internal.node_summary(text) IS
    'v_sequence_summary of every partition, with its sum of lengths, all partitions in parallel';

------------------------------------------------------------------------------------------
-- Failures: which node, and what it said.
------------------------------------------------------------------------------------------

-- Every partition's state: whether it answers, and its collatz_ext version.
CREATE FUNCTION collatz_cluster_internal.probe(cluster_name text, caller text)
RETURNS TABLE (partition int, connection text, reachable boolean, collatz_ext_version text, error text)
LANGUAGE plpgsql VOLATILE
-- After a failed call PL/Proxy says NOTICE "dropping stale conn" for each connection it
-- left busy; the probe's result says more.
SET client_min_messages = warning SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    conns text[] := collatz_cluster_internal.partitions(cluster_name, caller);
BEGIN
    FOR i IN 0 .. cardinality(conns) - 1 LOOP
        partition := i;
        connection := collatz_cluster_internal.shown(conns[i + 1]);
        BEGIN
            collatz_ext_version := collatz_cluster_internal.node_version(cluster_name, i);
            reachable := true;
            error := CASE WHEN collatz_ext_version IS NULL THEN 'collatz_ext is not installed in this database'
                          WHEN collatz_cluster_internal.too_old(collatz_ext_version)
                          THEN format('collatz_ext %s is older than 0.6.0 (no analyze_segment)', collatz_ext_version) END;
        EXCEPTION WHEN OTHERS THEN
            reachable := false;
            collatz_ext_version := NULL;
            error := SQLERRM;
        END;
        RETURN NEXT;
    END LOOP;
END $$;
COMMENT ON FUNCTION collatz_cluster_internal.probe(text, text) IS
    'Asks every partition of a cluster, one at a time, for its collatz_ext version; an error is returned, not raised';

-- The message naming the partitions that do not answer (NULL if all of them do).
CREATE FUNCTION collatz_cluster_internal.down_nodes(cluster_name text, caller text) RETURNS text
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT string_agg(format('partition %s of cluster %s (%s) is down: %s', p.partition, quote_ident(cluster_name),
                             p.connection, regexp_replace(p.error, '\s+', ' ', 'g')), '; ' ORDER BY p.partition)
    FROM collatz_cluster_internal.probe(cluster_name, caller) p
    WHERE p.error IS NOT NULL
$$;
COMMENT ON FUNCTION collatz_cluster_internal.down_nodes(text, text) IS
    'Names the partitions of a cluster that do not answer, lack collatz_ext or have one older than 0.6.0, with their connection and error';

-- Re-raises a failed call to the nodes with the partitions that failed named. A node that
-- answers but raised (a refused range, a missing privilege on the node) keeps its SQLSTATE.
CREATE FUNCTION collatz_cluster_internal.raise_node_failure(cluster_name text, caller text, failed_state text,
                                                            failed_message text, stored text)
RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    down text := collatz_cluster_internal.down_nodes(cluster_name, caller);
BEGIN
    IF down IS NOT NULL THEN
        RAISE EXCEPTION '%: %', caller, down
            USING ERRCODE = 'connection_failure', DETAIL = 'The call failed with: ' || failed_message,
                  HINT = stored || ' Start the node again (collatz_cluster.cluster_status() shows every partition), then repeat the call.';
    END IF;
    RAISE EXCEPTION '%: a node of cluster % refused the call: %', caller, quote_ident(cluster_name), failed_message
        USING ERRCODE = failed_state,
              HINT = stored || ' Every partition answers; the error is the node''s own (its log has the whole story).';
END $$;
COMMENT ON FUNCTION collatz_cluster_internal.raise_node_failure(text, text, text, text, text) IS
    'Raises the error of a failed call to the nodes, naming the partitions that are down';

------------------------------------------------------------------------------------------
-- Distributed analysis.
------------------------------------------------------------------------------------------

-- The parts of a cluster analysis. Judged against the run, a number n <= end/2 is never
-- walked for the longest sequence (2n, one step longer, is in the run), so the numbers of
-- the lower half cost a seventh of the upper half's (measured on [1, 3*10^8]: 1.7 s for
-- [1, 1.5*10^8], 11.8 s for the rest). Each half is therefore shared out separately: every
-- partition gets an equal share of both, and a round runs one part of the same half and
-- size on every partition at once. Parts are at most 2^36 numbers (a few minutes of one node
-- on 2 cores; larger when a share would need more than 1000), never above analyze_segment's
-- 10^12. The procedure checkpoints after each round.
CREATE FUNCTION collatz_cluster_internal.plan(start_number bigint, end_number bigint, partition_count int, caller text)
RETURNS TABLE (part_no int, partition int, round int, start_range bigint, end_range bigint)
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    middle numeric := greatest(start_number::numeric - 1, least(end_number::numeric, floor(end_number::numeric / 2)));
    band_start numeric;
    band_end numeric;
    share numeric;
    part_size numeric;
    parts_a_share numeric;
    first_round int := 0;
    lo numeric;
BEGIN
    part_no := 0;
    FOR band IN 0 .. 1 LOOP
        band_start := CASE band WHEN 0 THEN start_number ELSE middle + 1 END;
        band_end := CASE band WHEN 0 THEN middle ELSE end_number END;
        CONTINUE WHEN band_start > band_end;
        share := ceil((band_end - band_start + 1) / partition_count);
        part_size := least(share, greatest(68719476736, ceil(share / 1000)));
        IF part_size > 1000000000000 THEN
            RAISE EXCEPTION '%: [%, %] over % partitions needs parts above 10^12 numbers', caller, start_number, end_number, partition_count
                USING ERRCODE = 'program_limit_exceeded', HINT = 'Analyse it in several runs, or over more partitions.';
        END IF;
        parts_a_share := ceil(share / part_size);
        FOR j IN 0 .. parts_a_share - 1 LOOP
            FOR i IN 0 .. partition_count - 1 LOOP
                lo := band_start + i * share + j * part_size;
                CONTINUE WHEN lo > least(band_end, band_start + (i + 1) * share - 1);
                partition := i;
                round := first_round + j;
                start_range := lo;
                end_range := least(band_end, band_start + (i + 1) * share - 1, lo + part_size - 1);
                RETURN NEXT;
                part_no := part_no + 1;
            END LOOP;
        END LOOP;
        first_round := first_round + parts_a_share;
    END LOOP;
END $$;
COMMENT ON FUNCTION collatz_cluster_internal.plan(bigint, bigint, int, text) IS
    'Cuts a range into per-partition shares of its lower and upper halves, and the shares into rounds of parts';

-- The checkpointed runs of sp_cluster_analyze, and their parts.
CREATE TABLE analysis_runs (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cluster_name text        NOT NULL,
    start_range  bigint      NOT NULL,
    end_range    bigint      NOT NULL,
    partitions   int         NOT NULL,
    status       text        NOT NULL DEFAULT 'running',
    started_by   name        NOT NULL DEFAULT session_user,
    started_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    work_ms      double precision NOT NULL DEFAULT 0,
    failures     int         NOT NULL DEFAULT 0,
    last_error   text,
    analysis_id  bigint      REFERENCES collatz.analysis_results (id) ON DELETE SET NULL,
    CONSTRAINT analysis_runs_status_known CHECK (status IN ('running', 'done')),
    CONSTRAINT analysis_runs_range_valid CHECK (start_range >= 1 AND end_range >= start_range),
    CONSTRAINT analysis_runs_partitions_positive CHECK (partitions >= 1)
);
COMMENT ON TABLE analysis_runs IS 'Distributed analyses run by sp_cluster_analyze, resumable part by part';
COMMENT ON COLUMN analysis_runs.id IS 'Surrogate key';
COMMENT ON COLUMN analysis_runs.cluster_name IS 'The PL/Proxy cluster (SQL/MED server) it runs on';
COMMENT ON COLUMN analysis_runs.start_range IS 'First number of the range';
COMMENT ON COLUMN analysis_runs.end_range IS 'Last number of the range';
COMMENT ON COLUMN analysis_runs.partitions IS 'Partitions of the cluster when the run was planned';
COMMENT ON COLUMN analysis_runs.status IS 'running (parts missing, or the result not stored yet) or done';
COMMENT ON COLUMN analysis_runs.started_by IS 'Session user that started it (any write-level role may resume it: the answer does not depend on who computes it)';
COMMENT ON COLUMN analysis_runs.started_at IS 'When it was planned';
COMMENT ON COLUMN analysis_runs.updated_at IS 'When a round last finished or failed';
COMMENT ON COLUMN analysis_runs.work_ms IS 'Wall-clock time of its rounds so far, in milliseconds (the stored duration)';
COMMENT ON COLUMN analysis_runs.failures IS 'Rounds that failed because of a node';
COMMENT ON COLUMN analysis_runs.last_error IS 'The last failure, naming the node';
COMMENT ON COLUMN analysis_runs.analysis_id IS 'The merged result in collatz.analysis_results, once done';
CREATE UNIQUE INDEX analysis_runs_one_running_idx ON analysis_runs (cluster_name, start_range, end_range) WHERE status = 'running';
CREATE INDEX analysis_runs_analysis_id_idx ON analysis_runs (analysis_id);

CREATE TABLE analysis_parts (
    run_id                  bigint      NOT NULL REFERENCES analysis_runs (id) ON DELETE CASCADE,
    part_no                 int         NOT NULL,
    partition               int         NOT NULL,
    round                   int         NOT NULL,
    start_range             bigint      NOT NULL,
    end_range               bigint      NOT NULL,
    longest_sequence        bigint,
    longest_sequence_length bigint,
    highest_peak            bigint,
    highest_peak_value      numeric,
    numbers_analyzed        bigint,
    node_duration_ms        double precision,
    done_at                 timestamptz,
    PRIMARY KEY (run_id, part_no),
    CONSTRAINT analysis_parts_range_valid CHECK (start_range >= 1 AND end_range >= start_range),
    -- A done part may hold no candidate for a record (NULL): every number of it is
    -- dominated by one elsewhere in the run.
    CONSTRAINT analysis_parts_done_or_empty CHECK (
        (done_at IS NULL) = (numbers_analyzed IS NULL) AND (done_at IS NULL) = (node_duration_ms IS NULL)
        AND (done_at IS NOT NULL OR (longest_sequence IS NULL AND highest_peak IS NULL))),
    CONSTRAINT analysis_parts_records_paired CHECK (
        (longest_sequence IS NULL) = (longest_sequence_length IS NULL) AND (highest_peak IS NULL) = (highest_peak_value IS NULL)),
    CONSTRAINT analysis_parts_records_in_range CHECK (
        longest_sequence BETWEEN start_range AND end_range AND highest_peak BETWEEN start_range AND end_range
        AND numbers_analyzed BETWEEN 1 AND end_range - start_range + 1)
);
COMMENT ON TABLE analysis_parts IS 'The checkpoints of sp_cluster_analyze: each part''s records, as its node computed them';
COMMENT ON COLUMN analysis_parts.run_id IS 'analysis_runs.id';
COMMENT ON COLUMN analysis_parts.part_no IS 'Part number within the run';
COMMENT ON COLUMN analysis_parts.partition IS 'Partition it is computed on';
COMMENT ON COLUMN analysis_parts.round IS 'Round it runs in (one part of every partition a round)';
COMMENT ON COLUMN analysis_parts.start_range IS 'First number of the part';
COMMENT ON COLUMN analysis_parts.end_range IS 'Last number of the part';
COMMENT ON COLUMN analysis_parts.longest_sequence IS 'Its number with the longest sequence (smallest on ties) among the run''s candidates; NULL until done, or if none of its numbers can hold the run''s record';
COMMENT ON COLUMN analysis_parts.longest_sequence_length IS 'That sequence length';
COMMENT ON COLUMN analysis_parts.highest_peak IS 'Its number with the highest peak (smallest on ties) among the run''s candidates; NULL likewise';
COMMENT ON COLUMN analysis_parts.highest_peak_value IS 'That peak';
COMMENT ON COLUMN analysis_parts.numbers_analyzed IS 'Numbers the node analysed';
COMMENT ON COLUMN analysis_parts.node_duration_ms IS 'The node''s time for it (collatz.analyze_segment), in milliseconds';
COMMENT ON COLUMN analysis_parts.done_at IS 'When the coordinator checkpointed it; NULL while missing';

SELECT pg_catalog.pg_extension_config_dump('analysis_runs', '');
SELECT pg_catalog.pg_extension_config_dump('analysis_runs_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('analysis_parts', '');

-- The merge: the longest sequence of the run is the longest of the parts' candidates, the
-- smallest number on a tie, as within every part (collatz_ext's rule); the same for the
-- highest peak. The smallest holder of a record is dominated by no number of the run, so its
-- part reports it: exact, whatever the split.
CREATE FUNCTION collatz_cluster_internal.merge(parts collatz_cluster_internal.analysis_part[])
RETURNS collatz_cluster_internal.analysis_part
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT ROW(NULL, NULL, NULL, l.longest_sequence, l.longest_sequence_length, h.highest_peak, h.highest_peak_value,
               (SELECT sum(p.numbers_analyzed)::bigint FROM unnest(parts) p), NULL)::collatz_cluster_internal.analysis_part
    FROM (SELECT p.longest_sequence, p.longest_sequence_length FROM unnest(parts) p WHERE p.longest_sequence IS NOT NULL
          ORDER BY p.longest_sequence_length DESC, p.longest_sequence LIMIT 1) l,
         (SELECT p.highest_peak, p.highest_peak_value FROM unnest(parts) p WHERE p.highest_peak IS NOT NULL
          ORDER BY p.highest_peak_value DESC, p.highest_peak LIMIT 1) h
$$;
COMMENT ON FUNCTION collatz_cluster_internal.merge(collatz_cluster_internal.analysis_part[]) IS
    'Merges the parts'' records: the longest and the highest of them, the smallest number on ties';

CREATE FUNCTION collatz_cluster_internal.check_range(start_number bigint, end_number bigint, caller text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM collatz_internal.collatz_check_range(start_number, end_number, NULL, caller);
END $$;
COMMENT ON FUNCTION collatz_cluster_internal.check_range(bigint, bigint, text) IS
    'Refuses NULL, non-positive and inverted ranges with collatz_ext''s errors';

-- The function form: every round in this one call, nothing stored on the coordinator (each
-- node records its parts in its own performance_metrics).
CREATE FUNCTION collatz_cluster_analyze(start_number bigint, end_number bigint,
                                        cluster_name text DEFAULT 'collatz_cluster')
RETURNS SETOF collatz.analysis_results
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    started timestamptz := clock_timestamp();
    n int;
    r record;
    answers collatz_cluster_internal.analysis_part[] := '{}';
    merged collatz_cluster_internal.analysis_part;
BEGIN
    PERFORM collatz_cluster_internal.check_range(start_number, end_number, 'collatz_cluster_analyze');
    n := cardinality(collatz_cluster_internal.partitions(cluster_name, 'collatz_cluster_analyze'));
    FOR r IN
        SELECT array_agg(p.partition ORDER BY p.partition) AS parts, array_agg(p.start_range ORDER BY p.partition) AS starts,
               array_agg(p.end_range ORDER BY p.partition) AS ends
        FROM collatz_cluster_internal.plan(start_number, end_number, n, 'collatz_cluster_analyze') p
        GROUP BY p.round ORDER BY p.round
    LOOP
        BEGIN
            answers := answers || ARRAY(SELECT a
                                        FROM collatz_cluster_internal.node_analyze(cluster_name, r.parts, r.starts, r.ends,
                                                                                           start_number, end_number) a);
        EXCEPTION WHEN OTHERS THEN
            PERFORM collatz_cluster_internal.raise_node_failure(cluster_name, 'collatz_cluster_analyze', SQLSTATE, SQLERRM,
                'Nothing was stored on the coordinator (the nodes that finished recorded their parts in their own performance_metrics).');
        END;
    END LOOP;
    merged := collatz_cluster_internal.merge(answers);
    RETURN QUERY SELECT NULL::bigint, start_number, end_number, merged.longest_sequence, merged.longest_sequence_length,
                        merged.highest_peak, merged.highest_peak_value, merged.numbers_analyzed,
                        collatz_internal.elapsed_ms(started), now(), NULL::bigint;
END $$;
COMMENT ON FUNCTION collatz_cluster_analyze(bigint, bigint, text) IS
    'Analyses [start_number, end_number] over the partitions of a cluster at once and merges the records exactly; returns analyze_range''s columns (id NULL: not stored)';

-- The procedure form's steps (usable from a scheduler too): open (or find) the run, then
-- rounds until done. The result is stored when the last part is in.
CREATE FUNCTION analysis_run_open(start_number bigint, end_number bigint, cluster_name text DEFAULT 'collatz_cluster')
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
-- ON CONFLICT names the index's columns, one of which is also an argument's name.
#variable_conflict use_column
DECLARE
    run_id bigint;
    n int;
BEGIN
    PERFORM collatz_cluster_internal.check_range(start_number, end_number, 'sp_cluster_analyze');
    n := cardinality(collatz_cluster_internal.partitions(cluster_name, 'sp_cluster_analyze'));
    SELECT r.id INTO run_id FROM @extschema@.analysis_runs r
    WHERE r.cluster_name = analysis_run_open.cluster_name AND r.start_range = start_number
      AND r.end_range = end_number AND r.status = 'running'
    FOR UPDATE;
    IF FOUND THEN
        RETURN run_id;
    END IF;
    -- A concurrent call may have opened it meanwhile: take that one.
    INSERT INTO @extschema@.analysis_runs (cluster_name, start_range, end_range, partitions)
    VALUES (cluster_name, start_number, end_number, n)
    ON CONFLICT (cluster_name, start_range, end_range) WHERE status = 'running' DO NOTHING
    RETURNING id INTO run_id;
    IF run_id IS NULL THEN
        SELECT r.id INTO STRICT run_id FROM @extschema@.analysis_runs r
        WHERE r.cluster_name = analysis_run_open.cluster_name AND r.start_range = start_number
          AND r.end_range = end_number AND r.status = 'running';
        RETURN run_id;
    END IF;
    INSERT INTO @extschema@.analysis_parts (run_id, part_no, partition, round, start_range, end_range)
    SELECT run_id, p.part_no, p.partition, p.round, p.start_range, p.end_range
    FROM collatz_cluster_internal.plan(start_number, end_number, n, 'sp_cluster_analyze') p;
    RETURN run_id;
END $$;
COMMENT ON FUNCTION analysis_run_open(bigint, bigint, text) IS
    'Plans a distributed analysis of [start_number, end_number] (or finds the unfinished one of that range and cluster); returns its run id';

-- One round: the next missing part of every partition, all at once. A failed round keeps the
-- parts that finished anyway: it waits for each partition's abandoned call to end and takes
-- the part from the node's performance_metrics. Returns what happened instead of raising, so
-- that the procedure commits the checkpoints before it reports the failure.
CREATE FUNCTION analysis_run_round(run_id bigint,
                                   OUT done boolean, OUT parts_done int, OUT parts_total int,
                                   OUT analysis_id bigint, OUT failure text, OUT failure_state text, OUT failure_hint text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET client_min_messages = warning SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    run @extschema@.analysis_runs;
    n int;
    round_parts record;
    answer collatz_cluster_internal.analysis_part;
    merged collatz_cluster_internal.analysis_part;
    started timestamptz := clock_timestamp();
    first_error text;
    p record;
BEGIN
    SELECT * INTO run FROM @extschema@.analysis_runs r WHERE r.id = run_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'sp_cluster_analyze: no run %', coalesce(run_id::text, 'NULL')
            USING ERRCODE = 'no_data_found', HINT = 'collatz_cluster.analysis_runs lists the runs.';
    END IF;
    n := cardinality(collatz_cluster_internal.partitions(run.cluster_name, 'sp_cluster_analyze'));
    IF run.status = 'running' THEN
        -- The next missing part of every partition (a partition removed since the plan hands
        -- its parts to partition % n).
        SELECT array_agg(q.partition % n ORDER BY q.partition) AS parts,
               array_agg(q.start_range ORDER BY q.partition) AS starts, array_agg(q.end_range ORDER BY q.partition) AS ends
        INTO round_parts
        FROM (SELECT DISTINCT ON (a.partition % n) a.partition, a.start_range, a.end_range
              FROM @extschema@.analysis_parts a WHERE a.run_id = run.id AND a.done_at IS NULL
              ORDER BY a.partition % n, a.part_no) q;
        IF round_parts.parts IS NOT NULL THEN
            BEGIN
                FOR answer IN SELECT * FROM collatz_cluster_internal.node_analyze(run.cluster_name, round_parts.parts,
                                  round_parts.starts, round_parts.ends, run.start_range, run.end_range) LOOP
                    PERFORM collatz_cluster_internal.checkpoint(run.id, answer);
                END LOOP;
            EXCEPTION WHEN OTHERS THEN
                first_error := SQLERRM;
                failure_state := SQLSTATE;
            END;
            IF first_error IS NOT NULL THEN
                -- Keep what the other partitions finish; name the ones that cannot answer.
                FOR p IN SELECT * FROM unnest(round_parts.parts, round_parts.starts, round_parts.ends) AS u(part, s, e) LOOP
                    BEGIN
                        PERFORM collatz_cluster_internal.node_wait(run.cluster_name, p.part, p.s, p.e, run.start_range, run.end_range);
                        FOR answer IN SELECT * FROM collatz_cluster_internal.node_stored_segment(run.cluster_name, p.part, p.s, p.e,
                                                                                                 run.start_range, run.end_range) LOOP
                            PERFORM collatz_cluster_internal.checkpoint(run.id, answer);
                        END LOOP;
                    EXCEPTION WHEN OTHERS THEN
                        -- Named below by down_nodes.
                    END;
                END LOOP;
                failure := collatz_cluster_internal.down_nodes(run.cluster_name, 'sp_cluster_analyze');
                IF failure IS NOT NULL THEN
                    failure_state := '08006';
                ELSE
                    failure := format('a node of cluster %s refused the call: %s', quote_ident(run.cluster_name), first_error);
                END IF;
                failure := 'sp_cluster_analyze: ' || failure;
                failure_hint := format('Run %s keeps its finished parts; nothing is in analysis_results yet. Start the node again (collatz_cluster.cluster_status() shows every partition), then CALL collatz_cluster.sp_cluster_analyze(%s, %s%s) again: only the missing parts are computed.',
                                       run.id, run.start_range, run.end_range,
                                       CASE WHEN run.cluster_name <> 'collatz_cluster' THEN ', ' || quote_literal(run.cluster_name) ELSE '' END);
                UPDATE @extschema@.analysis_runs r SET failures = r.failures + 1, last_error = failure || ' (' || first_error || ')',
                                                       updated_at = now(), work_ms = r.work_ms + collatz_internal.elapsed_ms(started)
                WHERE r.id = run.id;
            ELSE
                UPDATE @extschema@.analysis_runs r SET updated_at = now(), work_ms = r.work_ms + collatz_internal.elapsed_ms(started)
                WHERE r.id = run.id;
            END IF;
        END IF;
        SELECT count(*) FILTER (WHERE a.done_at IS NULL) = 0 INTO done FROM @extschema@.analysis_parts a WHERE a.run_id = run.id;
        IF done AND failure IS NULL THEN
            SELECT * INTO run FROM @extschema@.analysis_runs r WHERE r.id = run.id;
            merged := collatz_cluster_internal.merge(ARRAY(
                SELECT ROW(a.partition, a.start_range, a.end_range, a.longest_sequence, a.longest_sequence_length,
                           a.highest_peak, a.highest_peak_value, a.numbers_analyzed, NULL)::collatz_cluster_internal.analysis_part
                FROM @extschema@.analysis_parts a WHERE a.run_id = run.id));
            -- collatz_ext's own writer of analysis_results (and of the coordinator's metric);
            -- its CHECKs hold the record values to the truth once more.
            SELECT (collatz_internal.record_analysis(run.start_range, run.end_range, merged.numbers_analyzed,
                        merged.longest_sequence, merged.longest_sequence_length, merged.highest_peak, merged.highest_peak_value,
                        run.work_ms, NULL,
                        jsonb_build_object('form', 'cluster', 'cluster', run.cluster_name, 'cluster_run_id', run.id,
                                           'partitions', n, 'failures', run.failures))).id
            INTO analysis_id;
            UPDATE @extschema@.analysis_runs r SET status = 'done', analysis_id = analysis_run_round.analysis_id, updated_at = now()
            WHERE r.id = run.id;
        END IF;
    ELSE
        done := true;
        analysis_id := run.analysis_id;
    END IF;
    SELECT count(*) FILTER (WHERE a.done_at IS NOT NULL), count(*) INTO parts_done, parts_total
    FROM @extschema@.analysis_parts a WHERE a.run_id = run.id;
    done := coalesce(done, false) AND failure IS NULL;
END $$;
COMMENT ON FUNCTION analysis_run_round(bigint) IS
    'Runs the next part of every partition of a distributed analysis at once and checkpoints them; stores the merged result when the last part is in; a node failure is returned (failure names the node), not raised';

CREATE FUNCTION collatz_cluster_internal.checkpoint(run_id bigint, answer collatz_cluster_internal.analysis_part) RETURNS void
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    UPDATE @extschema@.analysis_parts a
    SET longest_sequence = answer.longest_sequence, longest_sequence_length = answer.longest_sequence_length,
        highest_peak = answer.highest_peak, highest_peak_value = answer.highest_peak_value,
        numbers_analyzed = answer.numbers_analyzed, node_duration_ms = answer.duration_ms,
        partition = answer.part, done_at = clock_timestamp()
    WHERE a.run_id = checkpoint.run_id AND a.start_range = answer.start_range AND a.end_range = answer.end_range
      AND a.done_at IS NULL
$$;
COMMENT ON FUNCTION collatz_cluster_internal.checkpoint(bigint, collatz_cluster_internal.analysis_part) IS
    'Records a part''s answer from its node';

-- The procedure form: commits after every round, so that a node failure costs only the
-- parts that did not finish; CALL it again to resume (after the node is back).
-- It COMMITs, so it cannot pin a search_path: every name is qualified.
CREATE PROCEDURE sp_cluster_analyze(start_number bigint, end_number bigint, cluster_name text DEFAULT 'collatz_cluster',
                                    INOUT analysis_id bigint DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
    run_id bigint;
    step record;
BEGIN
    run_id := @extschema@.analysis_run_open(start_number, end_number, cluster_name);
    COMMIT;
    LOOP
        step := @extschema@.analysis_run_round(run_id);
        COMMIT;
        IF step.failure IS NOT NULL THEN
            RAISE EXCEPTION '%', step.failure USING ERRCODE = step.failure_state, HINT = step.failure_hint;
        END IF;
        RAISE NOTICE 'sp_cluster_analyze: run %, % of % parts done', run_id, step.parts_done, step.parts_total;
        EXIT WHEN step.done;
    END LOOP;
    analysis_id := step.analysis_id;
END $$;
COMMENT ON PROCEDURE sp_cluster_analyze(bigint, bigint, text, bigint) IS
    'Analyses [start_number, end_number] over a cluster round by round, checkpointing each part; stores the merged result in collatz.analysis_results; CALL again to resume after a node failure';

------------------------------------------------------------------------------------------
-- Distributed storage. Routing rule: n lives on partition n % N.
------------------------------------------------------------------------------------------

CREATE FUNCTION partition_of(n bigint, cluster_name text DEFAULT 'collatz_cluster') RETURNS int
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM collatz_internal.collatz_check_range(n, n, 1, 'partition_of');
    RETURN (n % cardinality(collatz_cluster_internal.partitions(cluster_name, 'partition_of')))::int;
END $$;
COMMENT ON FUNCTION partition_of(bigint, text) IS
    'The partition that stores n: n % N for a cluster of N partitions';

-- A range, every partition storing its share at once (collatz.batch_save_sequences on the
-- node, which records it in the node's performance_metrics).
CREATE FUNCTION batch_insert_sequences(start_number bigint, end_number bigint, on_conflict text DEFAULT 'skip',
                                       cluster_name text DEFAULT 'collatz_cluster')
RETURNS TABLE (partition int, connection text, written bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    conns text[];
    n int;
    parts int[];
    firsts bigint[];
BEGIN
    -- 10^7 numbers a call: each node builds its share as an array (80 MB at most here).
    PERFORM collatz_internal.collatz_check_range(start_number, end_number, 10000000, 'batch_insert_sequences');
    PERFORM collatz_internal.check_conflict_strategy(on_conflict, 'batch_insert_sequences');
    conns := collatz_cluster_internal.partitions(cluster_name, 'batch_insert_sequences');
    n := cardinality(conns);
    -- Partition p's first number: the smallest one >= start_number with n % N = p (in
    -- numeric: near the end of bigint the first ones may lie past it).
    SELECT array_agg(f.p ORDER BY f.p), array_agg(f.first::bigint ORDER BY f.p) INTO parts, firsts
    FROM (SELECT p, start_number::numeric + (p - start_number % n + n) % n AS first FROM generate_series(0, n - 1) p) f
    WHERE f.first <= end_number;
    BEGIN
        RETURN QUERY
            SELECT w.part, collatz_cluster_internal.shown(conns[w.part + 1]), w.written
            FROM collatz_cluster_internal.node_insert_range(cluster_name, parts, firsts, end_number, n, on_conflict) w
            ORDER BY w.part;
    EXCEPTION WHEN OTHERS THEN
        PERFORM collatz_cluster_internal.raise_node_failure(cluster_name, 'batch_insert_sequences', SQLSTATE, SQLERRM,
            'Nothing is stored on the coordinator; the partitions that answered may have stored their share (each node''s store is one transaction), so repeat the call with on_conflict => ''skip''.');
    END;
END $$;
COMMENT ON FUNCTION batch_insert_sequences(bigint, bigint, text, text) IS
    'Stores the numbers of [start_number, end_number] on their partitions (n on partition n % N), all partitions at once; returns rows written per partition';

CREATE FUNCTION batch_save_sequences(numbers bigint[], on_conflict text DEFAULT 'skip',
                                     cluster_name text DEFAULT 'collatz_cluster')
RETURNS TABLE (partition int, connection text, written bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    conns text[];
    n int;
    bad bigint;
BEGIN
    PERFORM collatz_internal.check_conflict_strategy(on_conflict, 'batch_save_sequences');
    IF numbers IS NULL THEN
        RAISE EXCEPTION 'batch_save_sequences: numbers must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass an array of numbers (it may be empty).';
    END IF;
    SELECT u INTO bad FROM unnest(numbers) u WHERE u IS NULL OR u < 1 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'batch_save_sequences: every number must be a positive integer, got %', coalesce(bad::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Nothing was written.';
    END IF;
    IF cardinality(numbers) > 1000000 THEN
        RAISE EXCEPTION 'batch_save_sequences: % numbers in one call, above 1000000', cardinality(numbers)
            USING ERRCODE = 'program_limit_exceeded', HINT = 'Nothing was written. Split the array, or store a range with batch_insert_sequences.';
    END IF;
    conns := collatz_cluster_internal.partitions(cluster_name, 'batch_save_sequences');
    n := cardinality(conns);
    IF cardinality(numbers) = 0 THEN
        RETURN;
    END IF;
    BEGIN
        RETURN QUERY
            SELECT w.part, collatz_cluster_internal.shown(conns[w.part + 1]), w.written
            FROM collatz_cluster_internal.node_insert_numbers(cluster_name,
                     ARRAY(SELECT (u % n)::int FROM unnest(numbers) WITH ORDINALITY AS t(u, i) ORDER BY i),
                     numbers, on_conflict) w
            ORDER BY w.part;
    EXCEPTION WHEN OTHERS THEN
        PERFORM collatz_cluster_internal.raise_node_failure(cluster_name, 'batch_save_sequences', SQLSTATE, SQLERRM,
            'Nothing is stored on the coordinator; the partitions that answered may have stored their numbers, so repeat the call with on_conflict => ''skip''.');
    END;
END $$;
COMMENT ON FUNCTION batch_save_sequences(bigint[], text, text) IS
    'Stores the given numbers on their partitions (n on partition n % N), all partitions at once; returns rows written per partition';

CREATE FUNCTION get_sequence(n bigint, cluster_name text DEFAULT 'collatz_cluster')
RETURNS TABLE (number bigint, sequence_length bigint, steps_to_one bigint, max_value numeric,
               created_at timestamptz, stored boolean, partition int)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    part int;
BEGIN
    PERFORM collatz_internal.collatz_check_range(n, n, 1, 'get_sequence');
    part := (n % cardinality(collatz_cluster_internal.partitions(cluster_name, 'get_sequence')))::int;
    BEGIN
        RETURN QUERY SELECT g.number, g.sequence_length, g.steps_to_one, g.max_value, g.created_at, g.stored, part
                     FROM collatz_cluster_internal.node_get_sequence(cluster_name, part, n) g;
    EXCEPTION WHEN OTHERS THEN
        PERFORM collatz_cluster_internal.raise_node_failure(cluster_name, 'get_sequence', SQLSTATE, SQLERRM, 'Nothing was read.');
    END;
END $$;
COMMENT ON FUNCTION get_sequence(bigint, text) IS
    'collatz.get_sequence(n) on the partition that stores n (n % N): its stored row, or (stored = false) its computed values';

-- Keyset pages over every partition: the first page_size rows after after_number of the
-- union are among the first page_size rows of each partition.
CREATE FUNCTION find_sequences_in_range(start_number bigint, end_number bigint, page_size integer DEFAULT 100,
                                        after_number bigint DEFAULT NULL, min_length bigint DEFAULT NULL,
                                        max_length bigint DEFAULT NULL, cluster_name text DEFAULT 'collatz_cluster')
RETURNS TABLE (number bigint, sequence_length bigint, steps_to_one bigint, max_value numeric,
               created_at timestamptz, partition int)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n int;
BEGIN
    PERFORM collatz_internal.collatz_check_range(start_number, end_number, NULL, 'find_sequences_in_range');
    IF page_size IS NULL OR page_size NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'find_sequences_in_range: page_size must be between 1 and 100000, got %', coalesce(page_size::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Fetch large ranges page by page with after_number.';
    END IF;
    n := cardinality(collatz_cluster_internal.partitions(cluster_name, 'find_sequences_in_range'));
    BEGIN
        RETURN QUERY SELECT f.number, f.sequence_length, f.steps_to_one, f.max_value, f.created_at, (f.number % n)::int
                     FROM collatz_cluster_internal.node_find(cluster_name, start_number, end_number, page_size,
                                                             after_number, min_length, max_length) f
                     ORDER BY f.number LIMIT page_size;
    EXCEPTION WHEN OTHERS THEN
        PERFORM collatz_cluster_internal.raise_node_failure(cluster_name, 'find_sequences_in_range', SQLSTATE, SQLERRM, 'Nothing was read.');
    END;
END $$;
COMMENT ON FUNCTION find_sequences_in_range(bigint, bigint, integer, bigint, bigint, bigint, text) IS
    'Stored sequences of a number range over every partition, in number order, a page at a time (keyset: after_number = last number seen), optionally by length';

-- v_sequence_summary over the union of the partitions: sums, the extremes, and the longest
-- and highest with collatz_ext's tie rule.
CREATE FUNCTION sequence_summary(cluster_name text DEFAULT 'collatz_cluster')
RETURNS TABLE (total_sequences bigint, smallest_number bigint, largest_number bigint, mean_sequence_length numeric,
               longest_sequence_length bigint, longest_sequence_number bigint, highest_peak numeric,
               highest_peak_number bigint, sequences_with_steps bigint, stored_steps bigint,
               first_stored_at timestamptz, last_stored_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    parts collatz_cluster_internal.summary_part[];
BEGIN
    PERFORM collatz_cluster_internal.partitions(cluster_name, 'sequence_summary');
    BEGIN
        parts := ARRAY(SELECT s FROM collatz_cluster_internal.node_summary(cluster_name) s);
    EXCEPTION WHEN OTHERS THEN
        PERFORM collatz_cluster_internal.raise_node_failure(cluster_name, 'sequence_summary', SQLSTATE, SQLERRM, 'Nothing was read.');
    END;
    RETURN QUERY
    WITH p AS (SELECT * FROM unnest(parts)),
    totals AS (SELECT coalesce(sum(p.total_sequences), 0)::bigint AS sequences, coalesce(sum(p.length_sum), 0) AS length_sum FROM p)
    SELECT totals.sequences,
           (SELECT min(p.smallest_number) FROM p), (SELECT max(p.largest_number) FROM p),
           CASE WHEN totals.sequences > 0 THEN round(totals.length_sum / totals.sequences, 2) END,
           l.longest_sequence_length, l.longest_sequence_number, h.highest_peak, h.highest_peak_number,
           (SELECT coalesce(sum(p.sequences_with_steps), 0)::bigint FROM p), (SELECT coalesce(sum(p.stored_steps), 0)::bigint FROM p),
           (SELECT min(p.first_stored_at) FROM p), (SELECT max(p.last_stored_at) FROM p)
    FROM totals
    LEFT JOIN LATERAL (SELECT p.longest_sequence_length, p.longest_sequence_number FROM p WHERE p.longest_sequence_length IS NOT NULL
                       ORDER BY p.longest_sequence_length DESC, p.longest_sequence_number LIMIT 1) l ON true
    LEFT JOIN LATERAL (SELECT p.highest_peak, p.highest_peak_number FROM p WHERE p.highest_peak IS NOT NULL
                       ORDER BY p.highest_peak DESC, p.highest_peak_number LIMIT 1) h ON true;
END $$;
COMMENT ON FUNCTION sequence_summary(text) IS
    'collatz.v_sequence_summary over the union of a cluster''s partitions (one row)';

CREATE FUNCTION cluster_status(cluster_name text DEFAULT 'collatz_cluster')
RETURNS TABLE (partition int, connection text, reachable boolean, collatz_ext_version text, error text)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT * FROM collatz_cluster_internal.probe(cluster_name, 'cluster_status')
$$;
COMMENT ON FUNCTION cluster_status(text) IS
    'Every partition of a cluster: its connection (password masked), whether it answers, its collatz_ext version, its error';

------------------------------------------------------------------------------------------
-- Access: nothing for PUBLIC; two levels, granted by the owner.
--   read:  get_sequence, find_sequences_in_range, sequence_summary, partition_of,
--          cluster_status; SELECT on analysis_runs and analysis_parts
--   write: read, plus the analyses and the batch inserts (which write on the nodes)
-- No level may write analysis_runs or analysis_parts: only the functions above do.
------------------------------------------------------------------------------------------

CREATE FUNCTION collatz_cluster_internal.function_levels()
RETURNS TABLE (signature regprocedure, level text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT p.oid::regprocedure, coalesce(l.level, CASE WHEN n.nspname = 'collatz_cluster_internal' THEN 'owner' END)
    FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace
    LEFT JOIN (VALUES
        ('get_sequence', 'read'), ('find_sequences_in_range', 'read'), ('sequence_summary', 'read'),
        ('partition_of', 'read'), ('cluster_status', 'read'),
        ('collatz_cluster_analyze', 'write'), ('analysis_run_open', 'write'), ('analysis_run_round', 'write'),
        ('sp_cluster_analyze', 'write'), ('batch_insert_sequences', 'write'), ('batch_save_sequences', 'write'),
        ('cluster_grant', 'owner'), ('cluster_revoke', 'owner')
    ) AS l(function_name, level) ON n.nspname = '@extschema@' AND l.function_name = p.proname
    WHERE n.nspname IN ('@extschema@', 'collatz_cluster_internal')
$$;
COMMENT ON FUNCTION collatz_cluster_internal.function_levels() IS
    'The access level of every function of collatz_ext_cluster: read, write or owner';

CREATE FUNCTION cluster_revoke(role_name text) RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    grantee text := collatz_internal.grantee(role_name, 'cluster_revoke');
    f record;
BEGIN
    FOR f IN SELECT l.signature, p.prokind FROM collatz_cluster_internal.function_levels() l
             JOIN pg_proc p ON p.oid = l.signature WHERE l.level IN ('read', 'write') LOOP
        EXECUTE format('REVOKE ALL ON %s %s FROM %s', CASE f.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, f.signature, grantee);
    END LOOP;
    EXECUTE format('REVOKE ALL ON @extschema@.analysis_runs, @extschema@.analysis_parts FROM %s', grantee);
    EXECUTE format('REVOKE ALL ON SCHEMA @extschema@ FROM %s', grantee);
END $$;
COMMENT ON FUNCTION cluster_revoke(text) IS 'Takes every collatz_ext_cluster privilege from a role';

CREATE FUNCTION cluster_grant(role_name text, level text) RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    grantee text := collatz_internal.grantee(role_name, 'cluster_grant');
    f record;
BEGIN
    IF level IS NULL OR level NOT IN ('read', 'write') THEN
        RAISE EXCEPTION 'cluster_grant: unknown level %', coalesce(quote_literal(level), 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use read or write.';
    END IF;
    PERFORM @extschema@.cluster_revoke(role_name);
    EXECUTE format('GRANT USAGE ON SCHEMA @extschema@ TO %s', grantee);
    EXECUTE format('GRANT SELECT ON @extschema@.analysis_runs, @extschema@.analysis_parts TO %s', grantee);
    FOR f IN SELECT l.signature, p.prokind FROM collatz_cluster_internal.function_levels() l
             JOIN pg_proc p ON p.oid = l.signature
             WHERE l.level = 'read' OR (l.level = 'write' AND cluster_grant.level = 'write') LOOP
        EXECUTE format('GRANT EXECUTE ON %s %s TO %s', CASE f.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, f.signature, grantee);
    END LOOP;
END $$;
COMMENT ON FUNCTION cluster_grant(text, text) IS
    'Gives a role a collatz_ext_cluster level (read or write), replacing what it had; owner only';

DO $$
DECLARE
    f record;
BEGIN
    SELECT l.signature INTO f FROM collatz_cluster_internal.function_levels() l WHERE l.level IS NULL LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'collatz_ext_cluster: function % has no access level', f.signature USING ERRCODE = 'invalid_object_definition';
    END IF;
    FOR f IN SELECT l.signature, p.prokind FROM collatz_cluster_internal.function_levels() l
             JOIN pg_catalog.pg_proc p ON p.oid = l.signature LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON %s %s FROM PUBLIC', CASE f.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, f.signature);
    END LOOP;
END $$;
