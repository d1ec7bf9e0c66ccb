-- backfill assigns one organization per assistant in committed batches, survives null and duplicate names, and a rerun or a run after an interruption creates no duplicates.
-- CALL backfill commits, so this test works in a database of its own.
\set suite_database :DBNAME
CREATE DATABASE org_rls_backfill;
\c org_rls_backfill
\i tests/pg_regress/include/fixture.sql
CREATE EXTENSION org_rls;
SELECT org_rls.rename_tenants() IS NOT NULL AS renamed;

-- Nothing is attached yet.
CALL org_rls.backfill();
SELECT org_rls.attach_assistants();

-- Names that are null, blank or shared.
ALTER TABLE public.assistants ALTER COLUMN name DROP NOT NULL;
UPDATE public.assistants SET name = NULL WHERE id = pg_temp.tenant(3);
UPDATE public.assistants SET name = '   ' WHERE id = pg_temp.tenant(4);
UPDATE public.assistants SET name = 'Twin' WHERE id IN (pg_temp.tenant(5), pg_temp.tenant(6));

-- Bad batch sizes change nothing.
CALL org_rls.backfill(0);
SELECT pg_temp.error_of($$SELECT org_rls.backfill_batch(-1)$$);
SELECT pg_temp.error_of($$SELECT org_rls.backfill_batch(NULL)$$);
SELECT count(*) AS organizations FROM org_rls.organizations;

-- One batch inside a transaction that rolls back leaves no trace.
BEGIN;
SELECT org_rls.backfill_batch(4) AS assigned;
ROLLBACK;
SELECT count(*) AS organizations FROM org_rls.organizations;

-- An interrupted run: the batch that fails rolls back, earlier batches stay.
CREATE FUNCTION public.fail_on_assistant() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF NEW.id = nullif(current_setting('test.fail_on', true), '')::uuid THEN
        RAISE EXCEPTION 'simulated interruption';
    END IF;
    RETURN NEW;
END
$fn$;
CREATE TRIGGER fail_on_assistant BEFORE UPDATE OF organization_id ON public.assistants
    FOR EACH ROW EXECUTE FUNCTION public.fail_on_assistant();
-- The backfill keeps ordinary triggers from firing; this one must fire.
ALTER TABLE public.assistants ENABLE ALWAYS TRIGGER fail_on_assistant;
SELECT set_config('test.fail_on', (SELECT id::text FROM public.assistants ORDER BY id LIMIT 1 OFFSET 4), false)
       IS NOT NULL AS interruption_armed;
CALL org_rls.backfill(2);
SELECT count(*) AS organizations FROM org_rls.organizations;
SELECT count(*) FILTER (WHERE organization_id IS NULL) AS without_organization FROM public.assistants;

-- Running again completes the job.
RESET test.fail_on;
CALL org_rls.backfill(2);
CALL org_rls.backfill(2);

-- Exactly one organization per assistant, named from the assistant.
SELECT a.slug, a.name AS assistant_name, o.name AS organization_name
  FROM public.assistants a JOIN org_rls.organizations o ON o.id = a.organization_id
 ORDER BY a.slug;
SELECT count(*) AS organizations, count(DISTINCT backfilled_from) AS distinct_assistants
  FROM org_rls.organizations;
SELECT count(*) AS orphan_organizations FROM org_rls.organizations o
 WHERE NOT EXISTS (SELECT FROM public.assistants a WHERE a.organization_id = o.id);
SELECT count(*) AS mismatched FROM public.assistants a JOIN org_rls.organizations o ON o.id = a.organization_id
 WHERE o.backfilled_from <> a.id;
-- The application's updated_at trigger did not fire for the backfill.
SELECT count(*) FILTER (WHERE updated_at <> created_at) AS assistants_touched FROM public.assistants
 WHERE id NOT IN (pg_temp.tenant(3), pg_temp.tenant(4), pg_temp.tenant(5), pg_temp.tenant(6));

-- An assistant that lost its organization gets the same one back.
UPDATE public.assistants SET organization_id = NULL WHERE id = pg_temp.tenant(1);
SELECT org_rls.backfill_batch() AS assigned;
SELECT count(*) AS organizations FROM org_rls.organizations;
SELECT o.backfilled_from = a.id AS same_organization
  FROM public.assistants a JOIN org_rls.organizations o ON o.id = a.organization_id
 WHERE a.id = pg_temp.tenant(1);

-- A backfill inside a transaction block cannot commit its batches.
UPDATE public.assistants SET organization_id = NULL WHERE id = pg_temp.tenant(1);
BEGIN;
CALL org_rls.backfill();
ROLLBACK;
SELECT count(*) FILTER (WHERE organization_id IS NULL) AS without_organization FROM public.assistants;

SELECT component, relation, state, detail FROM org_rls.status();

\c :suite_database
DROP DATABASE org_rls_backfill;
