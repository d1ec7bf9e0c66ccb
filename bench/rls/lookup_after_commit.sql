-- The cost of the lookup that a statement makes when its snapshot changed.
-- A procedure commits a transaction of its own, which has a transaction id,
-- before each call, so every call gets a new snapshot. It times the call
-- alone with clock_timestamp(), and the same loop without the call as the
-- reference. Runs as bench_org with the context in PGOPTIONS. psql variables:
-- tenant (an assistant of the organization) and calls (per run). Prints a
-- warm-up run, then three pairs of lines: reference µs, µs with the call.
\set ON_ERROR_STOP 1
\pset tuples_only on
\pset format unaligned
CREATE PROCEDURE pg_temp.timed_calls(calls int, assistant uuid, with_call boolean,
                                     INOUT us double precision DEFAULT 0)
LANGUAGE plpgsql AS $fn$
DECLARE
    started timestamptz;
    found boolean;
BEGIN
    FOR i IN 1..calls LOOP
        PERFORM pg_catalog.txid_current();
        COMMIT;
        started := clock_timestamp();
        IF with_call THEN
            found := org_rls.in_organization(assistant);
        ELSE
            found := NULL;
        END IF;
        us := us + extract(epoch FROM clock_timestamp() - started) * 1e6;
    END LOOP;
    us := us / calls;
END
$fn$;
CALL pg_temp.timed_calls(:calls, :'tenant', true);
CALL pg_temp.timed_calls(:calls, :'tenant', false);
CALL pg_temp.timed_calls(:calls, :'tenant', true);
CALL pg_temp.timed_calls(:calls, :'tenant', false);
CALL pg_temp.timed_calls(:calls, :'tenant', true);
CALL pg_temp.timed_calls(:calls, :'tenant', false);
CALL pg_temp.timed_calls(:calls, :'tenant', true);
