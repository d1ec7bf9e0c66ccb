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
SELECT demo.expect_sqlstate('backfill before attach_assistants is rejected',
                            'CALL org_rls.backfill(50)', '55000');

SELECT demo.run_step('rename_tenants', 'SELECT org_rls.rename_tenants()');
SELECT demo.run_step('attach_assistants', 'SELECT org_rls.attach_assistants()');

SELECT demo.expect_sqlstate('finalize_assistants before backfill is rejected',
                            'SELECT org_rls.finalize_assistants()', '55000');
SELECT demo.expect_sqlstate('backfill with batch size 0 is rejected',
                            'CALL org_rls.backfill(0)', '22023');
-- A function runs inside a transaction, so the procedure's COMMIT fails and
-- the batch it had assigned is rolled back.
SELECT demo.expect_sqlstate('backfill inside a transaction block is rejected',
                            'CALL org_rls.backfill(50)', '2D000');
SELECT demo.expect_equal('organizations left by the rejected backfill',
                         (SELECT count(*) FROM org_rls.organizations), 0);

-- Top level, outside a transaction block, so that each batch commits.
SELECT clock_timestamp() AS backfill_started \gset
CALL org_rls.backfill(50);
INSERT INTO demo.migration_steps (step, ms)
VALUES ('backfill(50)', extract(epoch FROM clock_timestamp() - :'backfill_started'::timestamptz) * 1000);

SELECT demo.run_step('finalize_assistants', 'SELECT org_rls.finalize_assistants()');
SELECT demo.run_step('set legacy_tenant_setting',
                     'ALTER DATABASE demo SET org_rls.legacy_tenant_setting = ''app.current_tenant''');

-- TODO: also expect 42809 from protect on a view (public.tenants). In 0.1.0,
-- org_rls._require_table fails first with 42725 because the expression
-- 'relation of kind ' || kind (a "char") matches no single || operator.
SELECT demo.expect_sqlstate('protect on a text tenant column is rejected',
                            'SELECT org_rls.protect(''public.documents'', ''title'')', '42804');

SELECT demo.run_step('protect ' || t, format('SELECT org_rls.protect(%L)', 'public.' || t))
  FROM unnest(ARRAY['tenant_members', 'documents', 'knowledge', 'conversations',
                    'messages', 'events', 'assistants']) AS t;
