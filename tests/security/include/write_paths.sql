-- Every write path of the extension, run by whoever is connected (write level or above),
-- on numbers above :lo (each caller its own range; set :lo and :expname first). No
-- operator, aggregate or unqualified function appears in these statements, so whatever
-- planted code runs from here on, the extension's code ran it.
SELECT :lo OPERATOR(pg_catalog.+) 1 AS n1, :lo OPERATOR(pg_catalog.+) 3 AS n3,
       :lo OPERATOR(pg_catalog.+) 10 AS n10, :lo OPERATOR(pg_catalog.+) 100 AS n100,
       :lo OPERATOR(pg_catalog.+) 101 AS n101, :lo OPERATOR(pg_catalog.+) 102 AS n102,
       :lo OPERATOR(pg_catalog.+) 103 AS n103, :lo OPERATOR(pg_catalog.+) 104 AS n104,
       :lo OPERATOR(pg_catalog.+) 105 AS n105, :lo OPERATOR(pg_catalog.+) 106 AS n106,
       :lo OPERATOR(pg_catalog.+) 107 AS n107, :lo OPERATOR(pg_catalog.+) 1000 AS n1000,
       :lo OPERATOR(pg_catalog.+) 2000 AS n2000 \gset
\set csv_line :n104 ',,"{' :n104 '}"'
\set json_line '{"number": ' :n105 ', "steps": [' :n105 ']}'
\set json_again '{"number": ' :n104 '}'
\set json_wrong '{"number": ' :n106 ', "max_value": 1}'
-- Batch insert with steps, in batches (the procedure COMMITs: no SET clause protects it).
CALL collatz.sp_batch_insert_sequences(:n1, :n100, with_steps => true, batch_size => 40);
-- The repository functions.
SELECT collatz.batch_save_sequences(ARRAY[:n101, :n102]::bigint[], with_steps => true) AS saved;
SELECT number, sequence_length, steps_to_one, max_value FROM collatz.save_sequence(:n103, with_steps => true);
SELECT number, stored FROM collatz.get_sequence(:n107, cache => true);
-- Imports, CSV and JSON Lines, with steps, an upsert and a rejected line.
SELECT collatz.import_open();
INSERT INTO pg_temp.collatz_import_lines (line) VALUES ('number,steps_to_one,steps'), (:'csv_line');
SELECT lines, valid, loaded, rejected, steps_loaded FROM collatz.import_sequences('csv');
SELECT collatz.import_open();
INSERT INTO pg_temp.collatz_import_lines (line) VALUES (:'json_line'), (:'json_again'), (:'json_wrong');
SELECT lines, valid, loaded, rejected, steps_loaded
FROM collatz.import_sequences('json', on_error => 'ignore', on_conflict => 'upsert');
SELECT line_number FROM collatz.import_rejections();
-- Analyses: the function form, and the procedure in segments.
SELECT collatz.create_experiment(:'expname') AS exp_id \gset
SELECT numbers_analyzed, longest_sequence, longest_sequence_length, highest_peak, highest_peak_value
FROM collatz.analyze_range(:n1, :n1000, :exp_id);
CALL collatz.sp_analyze_range(:n1, :n2000, segment_size => 700);
SELECT (collatz.record_experiment_results(:exp_id, '{"checked": true}')).name AS recorded;
-- The steps of n107 (stored without them), written directly: both statement triggers run.
INSERT INTO collatz.sequence_steps (sequence_id, step_number, value, operation_type)
SELECT s.id, q.step_number, q.value, q.operation_type
FROM collatz.collatz_sequences s, collatz.collatz_sequence(:n107) q
WHERE s.number OPERATOR(pg_catalog.=) :n107;
-- An UPDATE that changes nothing but fires the UPDATE triggers with their transition tables.
UPDATE collatz.collatz_sequences SET max_value = max_value WHERE number OPERATOR(pg_catalog.=) :n107;
UPDATE collatz.sequence_steps SET value = value
WHERE sequence_id OPERATOR(pg_catalog.=) (SELECT id FROM collatz.collatz_sequences WHERE number OPERATOR(pg_catalog.=) :n107);
