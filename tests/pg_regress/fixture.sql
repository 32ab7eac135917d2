-- The fixture every regress file starts from (tests/pg_regress/sql/*.sql each run in a
-- database of their own, copied from a template made with this file by .ci/test.sh): the
-- extension, and an independent reference to compare against.
CREATE EXTENSION collatz_ext;

-- The independent reference the later suites compare against: a PL/pgSQL walk from the
-- definition, one application of T per loop turn on numeric, nothing shared with the
-- extension's code. In its own schema, outside the extension.
CREATE SCHEMA regress_reference;
CREATE FUNCTION regress_reference.walk(n numeric,
    OUT steps bigint, OUT odd_steps bigint, OUT peak numeric, OUT stopping_time bigint)
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    x numeric := n;
BEGIN
    steps := 0; odd_steps := 0; peak := n;
    WHILE x <> 1 LOOP
        IF mod(x, 2) = 1 THEN x := 3 * x + 1; odd_steps := odd_steps + 1;
        ELSE x := div(x, 2);
        END IF;
        steps := steps + 1;
        IF x > peak THEN peak := x; END IF;
        IF stopping_time IS NULL AND x < n THEN stopping_time := steps; END IF;
    END LOOP;
END $$;
