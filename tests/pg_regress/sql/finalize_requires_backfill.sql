-- finalize_assistants refuses while assistants lack an organization, then validates the foreign key and sets NOT NULL without leaving a helper constraint.
BEGIN;
\i tests/pg_regress/include/fixture.sql
CREATE EXTENSION org_rls;
SELECT org_rls.rename_tenants() IS NOT NULL AS renamed;

SELECT pg_temp.error_of($$SELECT org_rls.finalize_assistants()$$);
SELECT org_rls.attach_assistants();
SELECT org_rls.backfill_batch(4) AS assigned;

-- Protecting now would hide the rows of the two assistants without an organization.
SAVEPOINT before_protect;
SELECT org_rls.protect('public.documents');
ROLLBACK TO SAVEPOINT before_protect;

-- Two assistants remain without an organization.
SELECT org_rls.finalize_assistants();
SELECT pg_temp.error_of($$SELECT org_rls.finalize_assistants()$$);
SELECT a.attnotnull, c.convalidated
  FROM pg_attribute a, pg_constraint c
 WHERE a.attrelid = 'public.assistants'::regclass AND a.attname = 'organization_id'
   AND c.conrelid = a.attrelid AND c.conname = 'assistants_organization_id_fkey';

SELECT org_rls.backfill_batch(4) AS assigned;
SELECT org_rls.finalize_assistants();
SELECT a.attnotnull, c.convalidated
  FROM pg_attribute a, pg_constraint c
 WHERE a.attrelid = 'public.assistants'::regclass AND a.attname = 'organization_id'
   AND c.conrelid = a.attrelid AND c.conname = 'assistants_organization_id_fkey';
SELECT conname, contype FROM pg_constraint
 WHERE conrelid = 'public.assistants'::regclass ORDER BY conname;

-- Finalizing again is harmless, and a new assistant now needs an organization.
SELECT org_rls.finalize_assistants();
SELECT pg_temp.error_of($$INSERT INTO public.tenants (slug, name) VALUES ('orphan', 'No organization')$$);
-- Deleting an organization that still has assistants is restricted.
SELECT pg_temp.error_of($$DELETE FROM org_rls.organizations$$);
SELECT component, state, detail FROM org_rls.status() WHERE component = 'assistants';
ROLLBACK;
