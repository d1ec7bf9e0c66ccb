-- protect on a table without policies warns and adds a permissive policy; protect is idempotent and unprotect removes exactly what protect added.
BEGIN;
\i tests/pg_regress/include/fixture.sql
CREATE EXTENSION org_rls;
CREATE TABLE public.notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                           tenant_id uuid NOT NULL, body text, label text);
GRANT SELECT, INSERT ON public.notes TO app_user;
GRANT USAGE ON SEQUENCE public.notes_id_seq TO app_user;
INSERT INTO public.notes (tenant_id, body) SELECT pg_temp.tenant(n), 'note ' || n FROM generate_series(1, 6) AS n;

-- Not attached yet.
SELECT pg_temp.error_of($$SELECT org_rls.protect('public.notes')$$);
SELECT org_rls.rename_tenants() IS NOT NULL AS renamed;
SELECT org_rls.attach_assistants();
SELECT org_rls.backfill_batch() AS assigned;

-- Bad arguments change nothing.
SELECT pg_temp.error_of($$SELECT org_rls.protect(NULL)$$);
SELECT pg_temp.error_of($$SELECT org_rls.protect('public.notes', 'owner_id')$$);
SELECT org_rls.protect('public.notes', 'label');
SELECT pg_temp.error_of($$SELECT org_rls.protect('public.recent_conversations')$$);
SELECT pg_temp.error_of($$SELECT org_rls.protect('public.notes', NULL)$$);
SELECT relrowsecurity, (SELECT count(*) FROM pg_policy WHERE polrelid = 'public.notes'::regclass) AS policies
  FROM pg_class WHERE oid = 'public.notes'::regclass;

-- No permissive policy: a warning, and a permissive policy with the same predicate.
SELECT org_rls.protect('public.notes');
SELECT relrowsecurity FROM pg_class WHERE oid = 'public.notes'::regclass;
SELECT policyname, permissive, roles, cmd, qual, with_check
  FROM pg_policies WHERE tablename = 'notes' ORDER BY policyname;
SELECT relation, tenant_column, enabled_rls, added_permissive FROM org_rls.protected_tables;

-- Twice is harmless.
SELECT org_rls.protect('public.notes');
SELECT count(*) AS policies FROM pg_policy WHERE polrelid = 'public.notes'::regclass;

-- A plain role sees and writes only its organization's notes.
SELECT organization_id AS org4 FROM public.assistants WHERE id = pg_temp.tenant(4) \gset
SELECT count(*) AS all_notes FROM public.notes;
SET LOCAL ROLE app_user;
SELECT org_rls.use_organization(:'org4') IS NOT NULL AS context_set;
SELECT body FROM public.notes ORDER BY body;
INSERT INTO public.notes (tenant_id, body) VALUES (pg_temp.tenant(4), 'own');
SELECT pg_temp.error_of($$INSERT INTO public.notes (tenant_id, body) VALUES (pg_temp.tenant(5), 'other')$$);
RESET ROLE;

-- unprotect removes both policies and turns row-level security off again.
SELECT org_rls.unprotect('public.notes');
SELECT relrowsecurity, (SELECT count(*) FROM pg_policy WHERE polrelid = 'public.notes'::regclass) AS policies
  FROM pg_class WHERE oid = 'public.notes'::regclass;
SELECT org_rls.unprotect('public.notes');

-- On a table with its own policies, unprotect leaves them and row-level security as they were.
SELECT org_rls.protect('public.documents');
SELECT org_rls.unprotect('public.documents');
SELECT relrowsecurity, (SELECT array_agg(polname ORDER BY polname) FROM pg_policy
                         WHERE polrelid = 'public.documents'::regclass) AS policies
  FROM pg_class WHERE oid = 'public.documents'::regclass;

-- A policy of the same name that org_rls did not record is not overwritten.
CREATE POLICY org_rls_isolation ON public.notes USING (true);
SELECT pg_temp.error_of($$SELECT org_rls.protect('public.notes')$$);
ROLLBACK;
