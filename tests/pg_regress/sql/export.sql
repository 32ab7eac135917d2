-- Export as a psql user does it: CSV lines with a chosen field list, JSON pages with a
-- cursor and JSON Lines, every value checked against the reference.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;

-- Something to export: 1..300, a gap, the first peaks past 2^63 and 2^64, steps for some.
SELECT batch_save_sequences(ARRAY(SELECT generate_series(1, 300)));
DELETE FROM collatz_sequences WHERE number BETWEEN 100 AND 120;
SELECT batch_save_sequences(ARRAY[8528817511, 12327829503]);
SELECT collatz_internal.store_steps(1, 30) + collatz_internal.store_steps(12327829503, 12327829503) AS steps_stored;
SELECT count(*) FROM analyze_range(1, 1000);
SELECT count(*) FROM analyze_range(1, 50000);

------------------------------------------------------------------------------------------
-- CSV export: the chosen fields in the chosen order, values checked against the reference
------------------------------------------------------------------------------------------
SELECT * FROM export_sequences_csv(25, 28);
SELECT * FROM export_sequences_csv(5, 7, ARRAY['max_value', 'number', 'steps']);
SELECT * FROM export_sequences_csv(8528817511, 20000000000, ARRAY['number', 'max_value'], header => false);
-- Every exported line against the PL/pgSQL reference walk, not against the stored rows.
SELECT count(*) AS lines, count(*) FILTER (WHERE e.line = n || ',' || w.steps + 1 || ',' || w.steps || ',' || w.peak) AS right
FROM export_sequences_csv(1, 300, header => false) WITH ORDINALITY AS e(line, k)
JOIN LATERAL (SELECT split_part(e.line, ',', 1)::bigint AS n) x ON true
CROSS JOIN LATERAL regress_reference.walk(x.n) w;
-- The steps field lists the true terms (the reference: a recursive CTE from the definition).
WITH RECURSIVE t(k, x) AS (SELECT 0, 27::numeric UNION ALL
                           SELECT k + 1, CASE WHEN x % 2 = 0 THEN div(x, 2) ELSE 3 * x + 1 END FROM t WHERE x <> 1)
SELECT (SELECT * FROM export_sequences_csv(27, 27, ARRAY['steps'], false))
     = '"{' || (SELECT string_agg(x::text, ',' ORDER BY k) FROM t) || '}"' AS steps_are_true;
-- Stored or not (the steps of 1..30 are stored, those of 31..300 are not), every sequence's
-- steps are all its true terms, in the CSV field and in the JSON objects.
CREATE TEMP TABLE truth AS
WITH RECURSIVE t(n, k, x) AS (SELECT n, 0, n::numeric FROM generate_series(1, 300) AS n UNION ALL
                              SELECT n, k + 1, CASE WHEN x % 2 = 0 THEN div(x, 2) ELSE 3 * x + 1 END FROM t WHERE x <> 1)
SELECT n, array_agg(x ORDER BY k) AS terms FROM t GROUP BY n;
SELECT count(*) AS lines, count(*) FILTER (WHERE substr(e.line, position(',' IN e.line) + 1) = '"' || t.terms::text || '"') AS right,
       count(*) FILTER (WHERE t.n > 30) AS steps_not_stored
FROM export_sequences_csv(1, 300, ARRAY['number', 'steps'], header => false) AS e(line)
JOIN truth t ON t.n = split_part(e.line, ',', 1)::bigint;
SELECT count(*) AS items, count(*) FILTER (WHERE ARRAY(SELECT jsonb_array_elements_text(i -> 'steps'))::numeric[] = t.terms) AS right
FROM jsonb_array_elements(export_sequences_json(1, 300, page_size => 300, with_steps => true) -> 'items') AS i
JOIN truth t ON t.n = (i ->> 'number')::bigint;
SELECT export_sequence_json(200) -> 'steps' = to_jsonb((SELECT terms FROM truth WHERE n = 200)) AS unstored_steps_are_true;
SELECT * FROM export_analysis_csv(ARRAY['start_range', 'end_range', 'longest_sequence', 'longest_sequence_length',
                                        'highest_peak', 'highest_peak_value']);
-- Bad field lists.
SELECT * FROM export_sequences_csv(1, 5, ARRAY['number', 'colour']);
SELECT * FROM export_sequences_csv(1, 5, ARRAY['number', 'number']);
SELECT * FROM export_sequences_csv(1, 5, ARRAY[]::text[]);
SELECT * FROM export_sequences_csv(5, 1);
SELECT * FROM export_analysis_csv(ARRAY['start_range', NULL]);
-- By default every column, in table order, read from the catalog.
SELECT * FROM export_analysis_csv() LIMIT 1;

------------------------------------------------------------------------------------------
-- JSON export: pages with a cursor, one sequence with its steps, analysis results
------------------------------------------------------------------------------------------
-- (created_at is the moment of the test: left out of what is shown.)
SELECT page - 'items' AS page, jsonb_path_query_array(page, '$.items[*].number') AS numbers,
       (page -> 'items' -> 2) - 'created_at' AS third, page #>> '{items,2,created_at}' LIKE '____-__-__T__:__:__%' AS iso_created_at
FROM export_sequences_json(1, 300, page_size => 3) AS page;
SELECT export_sequences_json(1, 300, page_size => 3, cursor => '3') -> 'items' -> 0 -> 'number' AS first_of_page_2;
-- Walking every page visits every stored number once, in order.
WITH RECURSIVE pages(k, page) AS (
    SELECT 1, export_sequences_json(1, 300, page_size => 40)
    UNION ALL
    SELECT k + 1, export_sequences_json(1, 300, page_size => 40, cursor => page ->> 'next_cursor')
    FROM pages WHERE page ->> 'next_cursor' IS NOT NULL)
SELECT count(*) AS pages, sum((page ->> 'count')::int) AS items,
       (SELECT count(*) FROM collatz_sequences WHERE number <= 300) AS stored,
       bool_and(page -> 'items' -> 0 ->> 'number' IS NOT NULL) AS none_empty
FROM pages;
SELECT export_sequences_json(290, 300, page_size => 100) ->> 'next_cursor' IS NULL AS last_page_has_no_cursor;
SELECT export_sequence_json(6) - 'created_at';
SELECT export_sequence_json(12327829503) -> 'max_value' AS exact_past_2_64,
       jsonb_array_length(export_sequence_json(12327829503) -> 'steps') = collatz_length(12327829503) AS all_steps;
SELECT export_sequence_json(110) IS NULL AS not_stored_is_null;
SELECT jsonb_pretty(export_analysis_json(page_size => 1) - 'items') AS page_1,
       (export_analysis_json(page_size => 1) -> 'items' -> 0) - 'id' - 'duration_ms' - 'analysis_date' AS first;
SELECT (export_analysis_json(cursor => export_analysis_json(page_size => 1) ->> 'next_cursor') ->> 'count') AS rest;
SELECT export_sequences_json(1, 10, page_size => 0);
SELECT export_sequences_json(1, 10, cursor => 'page-2');
