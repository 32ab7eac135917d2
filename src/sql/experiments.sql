-- Experiments: named sets of parameters and results, and the analyses run under them
-- (analysis.sql; v_experiments lists both).

CREATE TABLE experiments (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text        NOT NULL,
    description text,
    parameters  jsonb       NOT NULL DEFAULT '{}',
    results     jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT experiments_name_key UNIQUE (name),
    CONSTRAINT experiments_name_not_blank CHECK (btrim(name) <> ''),
    CONSTRAINT experiments_parameters_object CHECK (jsonb_typeof(parameters) = 'object'),
    CONSTRAINT experiments_results_object CHECK (results IS NULL OR jsonb_typeof(results) = 'object')
);

COMMENT ON TABLE experiments IS 'Named experiments: parameters going in, results coming out, and the analyses run under them';
COMMENT ON COLUMN experiments.id IS 'Surrogate key, referenced by analysis_results.experiment_id';
COMMENT ON COLUMN experiments.name IS 'Unique, non-blank name';
COMMENT ON COLUMN experiments.description IS 'Free text';
COMMENT ON COLUMN experiments.parameters IS 'Parameters of the experiment (a JSON object)';
COMMENT ON COLUMN experiments.results IS 'Results recorded for the experiment (a JSON object), NULL until recorded';
COMMENT ON COLUMN experiments.created_at IS 'When the experiment was created';

-- pg_dump carries an extension table's rows, and its identity's position, only when told to.
SELECT pg_catalog.pg_extension_config_dump('experiments', '');
SELECT pg_catalog.pg_extension_config_dump('experiments_id_seq', '');

CREATE FUNCTION collatz_internal.check_experiment(experiment bigint, caller text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF experiment IS NOT NULL AND NOT EXISTS (SELECT 1 FROM @extschema@.experiments WHERE id = experiment) THEN
        RAISE EXCEPTION '%: experiment % does not exist', caller, experiment
            USING ERRCODE = 'foreign_key_violation', HINT = 'Create it with create_experiment(name, ...) first.';
    END IF;
END $$;
COMMENT ON FUNCTION collatz_internal.check_experiment(bigint, text) IS 'Refuses an experiment id that does not exist';

CREATE FUNCTION create_experiment(name text, description text DEFAULT NULL, parameters jsonb DEFAULT '{}')
RETURNS bigint
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO @extschema@.experiments (name, description, parameters)
    VALUES (name, description, coalesce(parameters, '{}'))
    RETURNING id;
$$;
COMMENT ON FUNCTION create_experiment(text, text, jsonb) IS 'Creates an experiment; returns its id';

CREATE FUNCTION record_experiment_results(experiment_id bigint, results jsonb)
RETURNS experiments
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    updated @extschema@.experiments;
BEGIN
    IF experiment_id IS NULL OR results IS NULL THEN
        RAISE EXCEPTION 'record_experiment_results: experiment_id and results must not be NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass a JSON object of results; its keys replace the stored ones, and ''{}'' changes nothing.';
    END IF;
    IF jsonb_typeof(results) <> 'object' THEN
        RAISE EXCEPTION 'record_experiment_results: results must be a JSON object, got %', jsonb_typeof(results)
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Wrap the value in an object: {"key": ...}.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.experiments e WHERE e.id = record_experiment_results.experiment_id) THEN
        RAISE EXCEPTION 'record_experiment_results: experiment % does not exist', experiment_id
            USING ERRCODE = 'foreign_key_violation', HINT = 'Create it with create_experiment(name, ...) first.';
    END IF;
    UPDATE @extschema@.experiments e
    SET results = coalesce(e.results, '{}') || record_experiment_results.results
    WHERE e.id = record_experiment_results.experiment_id RETURNING * INTO updated;
    RETURN updated;
END $$;
COMMENT ON FUNCTION record_experiment_results(bigint, jsonb) IS
    'Merges a JSON object into an experiment''s results (keys given replace keys stored)';
