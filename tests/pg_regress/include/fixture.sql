-- Loads the example database with six assistants and defines test helpers,
-- without echoing the example's 700 lines into the expected output.
\set ECHO none
\i examples/rag_saas.sql
\unset ON_ERROR_STOP
RESET client_min_messages;
SELECT count(*) AS fixture_tables FROM public.fixture_generate(6) \gset
ANALYZE;
-- error_of(statement) returns 'SQLSTATE: message' for a statement that
-- fails, and 'no error' for one that succeeds; its subtransaction undoes
-- whatever the statement changed.
CREATE FUNCTION pg_temp.error_of(statement text) RETURNS text
LANGUAGE plpgsql AS $fn$
BEGIN
    EXECUTE statement;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$fn$;
-- tenant(n) is the id of the example's assistant number n.
CREATE FUNCTION pg_temp.tenant(n integer) RETURNS uuid
LANGUAGE sql IMMUTABLE AS $fn$ SELECT md5('fixture-tenant-' || n)::uuid $fn$;
\set ECHO all
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on
