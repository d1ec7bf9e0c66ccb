-- Migrates the demo database with org_rls, one step per statement as an
-- operator would run them, and stores each step's duration in
-- demo.migration_steps. Between the steps it checks that the guards of the
-- next step reject what they should.
\pset tuples_only on
\pset format unaligned

-- Times one statement given as text. CALL backfill cannot run this way,
-- because a procedure called from a function cannot COMMIT.
CREATE FUNCTION demo.run_step(step text, statement text) RETURNS text
LANGUAGE plpgsql AS $fn$
DECLARE
    started timestamptz := clock_timestamp();
    ms      double precision;
BEGIN
    EXECUTE statement;
    ms := extract(epoch FROM clock_timestamp() - started) * 1000;
    INSERT INTO demo.migration_steps (step, ms) VALUES (run_step.step, ms);
    RETURN format('step %s: %s ms', step, round(ms::numeric, 1));
END
$fn$;

SELECT demo.run_step('create extension', 'CREATE EXTENSION org_rls');

-- CALL backfill rejects a transaction block, and the exception handler of
-- demo.sqlstate_of would be one, so its guards run at top level. psql sets
-- SQLSTATE after each statement.
\echo 'Expected error: CALL org_rls.backfill before attach_assistants.'
\set ON_ERROR_STOP off
\set VERBOSITY terse
CALL org_rls.backfill(50);
\set VERBOSITY default
\set ON_ERROR_STOP on
SELECT demo.expect_equal('backfill before attach_assistants is rejected (SQLSTATE)', :'SQLSTATE', '55000');

SELECT demo.run_step('rename_tenants', 'SELECT org_rls.rename_tenants()');
SELECT demo.run_step('attach_assistants', 'SELECT org_rls.attach_assistants()');

SELECT demo.expect_sqlstate('finalize_assistants before backfill is rejected',
                            'SELECT org_rls.finalize_assistants()', '55000');

\echo 'Expected errors: CALL org_rls.backfill(0), then CALL org_rls.backfill(50) after BEGIN.'
\set ON_ERROR_STOP off
\set VERBOSITY terse
CALL org_rls.backfill(0);
\set batch_size_sqlstate :SQLSTATE
BEGIN;
CALL org_rls.backfill(50);
\set transaction_block_sqlstate :SQLSTATE
ROLLBACK;
\set VERBOSITY default
\set ON_ERROR_STOP on
SELECT demo.expect_equal('backfill with batch size 0 is rejected (SQLSTATE)', :'batch_size_sqlstate', '22023');
SELECT demo.expect_equal('backfill inside a transaction block is rejected (SQLSTATE)',
                         :'transaction_block_sqlstate', '25001');
SELECT demo.expect_equal('organizations left by the rejected backfills',
                         (SELECT count(*) FROM org_rls.organizations), 0);

-- Top level, outside a transaction block, so that each batch commits.
SELECT clock_timestamp() AS backfill_started \gset
CALL org_rls.backfill(50);
INSERT INTO demo.migration_steps (step, ms)
VALUES ('backfill(50)', extract(epoch FROM clock_timestamp() - :'backfill_started'::timestamptz) * 1000);

SELECT demo.run_step('finalize_assistants', 'SELECT org_rls.finalize_assistants()');
SELECT demo.run_step('set legacy_tenant_setting',
                     'ALTER DATABASE demo SET org_rls.legacy_tenant_setting = ''app.current_tenant''');

SELECT demo.expect_sqlstate('protect on a view is rejected',
                            'SELECT org_rls.protect(''public.tenants'')', '42809');
SELECT demo.expect_sqlstate('protect on a text tenant column is rejected',
                            'SELECT org_rls.protect(''public.documents'', ''title'')', '42804');

SELECT demo.run_step('protect ' || t, format('SELECT org_rls.protect(%L)', 'public.' || t))
  FROM unnest(ARRAY['tenant_members', 'documents', 'knowledge', 'conversations',
                    'messages', 'events', 'assistants']) AS t;
