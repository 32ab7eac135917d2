-- In this session's pg_temp: the kit of sec_log.plant, and two planted helpers for views
-- and triggers (sec_seen in a view's WHERE runs whenever the view is read).
SET client_min_messages = warning;
CALL sec_log.plant('pg_temp');
CREATE FUNCTION pg_temp.sec_seen(label text) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    PERFORM pg_temp.sec_payload(label);
    RETURN true;
END $$;
CREATE FUNCTION pg_temp.sec_instead() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    PERFORM pg_temp.sec_payload('pg_temp ' || TG_OP || ' trigger on ' || TG_TABLE_NAME);
    RETURN NULL;
END $$;
