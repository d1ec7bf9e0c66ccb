-- As a plain role, org_rls's RESTRICTIVE policies hide other organizations' rows and reject writes into them.
-- The application's own tenant policies stay exactly as they were.
BEGIN;
\set ECHO none
\i tests/pg_regress/include/fixture.sql
CREATE TEMP TABLE policies_before AS
    SELECT tablename, policyname, permissive, roles, cmd, qual, with_check
      FROM pg_policies WHERE schemaname = 'public';
\set ECHO all
\i tests/pg_regress/include/migrated.sql

-- The application's policies are unchanged; org_rls added one per protected table.
SELECT b.tablename, b.policyname,
       (a.permissive, a.roles, a.cmd, a.qual, a.with_check)
         IS NOT DISTINCT FROM (b.permissive, b.roles, b.cmd, b.qual, b.with_check) AS unchanged
  FROM policies_before b
  LEFT JOIN pg_policies a ON a.schemaname = 'public' AND a.policyname = b.policyname
   AND a.tablename = CASE b.tablename WHEN 'tenants' THEN 'assistants' ELSE b.tablename END
 ORDER BY b.tablename, b.policyname;
SELECT tablename, policyname, permissive, roles, cmd, qual
  FROM pg_policies WHERE schemaname = 'public' AND policyname LIKE 'org_rls%'
 ORDER BY tablename;

-- Assistants 1 and 2 share an organization; assistant 3 is alone in another.
SELECT count(DISTINCT organization_id) AS organizations_of_1_and_2, :'org1' <> :'org3' AS three_apart
  FROM public.assistants WHERE id IN (pg_temp.tenant(1), pg_temp.tenant(2));

-- The legacy context: app.current_tenant alone selects the organization too.
SET LOCAL ROLE app_user;
SELECT set_config('app.current_tenant', pg_temp.tenant(1)::text, true) IS NOT NULL AS legacy_context;
SELECT org_rls.organization_id() = :'org1' AS organization_of_tenant,
       cardinality(org_rls.assistant_ids()) AS assistants_in_organization;
SELECT count(*) AS documents, count(DISTINCT tenant_id) AS tenants FROM public.documents;
SELECT count(*) AS organizations_visible, bool_and(id = :'org1') AS only_own FROM org_rls.organizations;

-- An explicit organization that does not contain the legacy tenant: nothing is visible.
SELECT org_rls.use_organization(:'org3') IS NOT NULL AS explicit_context;
SELECT (SELECT count(*) FROM public.documents) AS documents,
       (SELECT count(*) FROM public.knowledge) AS knowledge,
       (SELECT count(*) FROM public.conversations) AS conversations,
       (SELECT count(*) FROM public.messages) AS messages,
       (SELECT count(*) FROM public.events) AS events,
       (SELECT count(*) FROM public.tenant_members) AS members,
       (SELECT count(*) FROM public.tenants) AS tenants_view,
       (SELECT count(*) FROM public.assistants) AS assistants;
SELECT count(*) AS hybrid_results
  FROM public.hybrid_search(pg_temp.tenant(1), 'refund invoice', public.fixture_embedding(42, 16), 10);
-- Writes into the legacy tenant's rows are rejected by org_rls's policy.
INSERT INTO public.documents (tenant_id, title) VALUES (pg_temp.tenant(1), 'Cross-organization write');
SELECT pg_temp.error_of($$INSERT INTO public.conversations (tenant_id) VALUES (pg_temp.tenant(1))$$);
SELECT pg_temp.error_of($$INSERT INTO public.messages (conversation_id, tenant_id, role, content)
    VALUES (md5('fixture-conv-1-1')::uuid, pg_temp.tenant(1), 'user', 'hello')$$);
RESET ROLE;

-- Same organization: the assistant's own rows are visible and writable, the other organization's are not.
SET LOCAL ROLE app_user;
SELECT org_rls.use_organization(:'org1') IS NOT NULL AS explicit_context;
SELECT count(*) AS documents FROM public.documents;
SELECT pg_temp.error_of($$INSERT INTO public.documents (tenant_id, title) VALUES (pg_temp.tenant(1), 'Own write')$$);
-- Assistant 2 is in the same organization, but the application's own policy still limits writes to the current tenant.
SELECT pg_temp.error_of($$INSERT INTO public.documents (tenant_id, title) VALUES (pg_temp.tenant(2), 'Sibling write')$$);
-- Updates cannot move a row into another organization.
SELECT pg_temp.error_of($$UPDATE public.documents SET tenant_id = pg_temp.tenant(3) WHERE tenant_id = pg_temp.tenant(1)$$);
-- Updates of rows in another organization touch nothing.
SELECT set_config('app.current_tenant', pg_temp.tenant(3)::text, true) IS NOT NULL AS other_tenant;
UPDATE public.documents SET title = 'Changed' WHERE tenant_id = pg_temp.tenant(3);
SELECT pg_temp.error_of($$UPDATE public.tenants SET name = 'Changed' WHERE id = pg_temp.tenant(3)$$);
RESET ROLE;
SELECT count(*) AS changed_documents FROM public.documents WHERE title = 'Changed';
SELECT count(*) AS changed_assistants FROM public.assistants WHERE name = 'Changed';
-- Control: the other organization's rows exist.
SELECT count(*) AS documents_of_assistant_3 FROM public.documents WHERE tenant_id = pg_temp.tenant(3);

-- With no context at all, a plain role sees nothing.
SET LOCAL ROLE app_user;
SELECT set_config('app.current_tenant', '', true) = '' AS no_tenant,
       org_rls.use_organization(NULL) IS NULL AS no_organization;
SELECT (SELECT count(*) FROM public.documents) AS documents, (SELECT count(*) FROM public.assistants) AS assistants,
       (SELECT count(*) FROM org_rls.organizations) AS organizations;
RESET ROLE;

-- A role whose own policies allow every row is still held to its organization.
CREATE ROLE org_rls_auditor;
GRANT SELECT ON public.documents, public.assistants TO org_rls_auditor;
CREATE POLICY auditor_all ON public.documents FOR SELECT TO org_rls_auditor USING (true);
CREATE POLICY auditor_all ON public.assistants FOR SELECT TO org_rls_auditor USING (true);
SET LOCAL ROLE org_rls_auditor;
SELECT org_rls.use_organization(:'org1') IS NOT NULL AS explicit_context;
SELECT count(*) AS documents, count(*) FILTER (WHERE tenant_id NOT IN (pg_temp.tenant(1), pg_temp.tenant(2))) AS foreign_documents
  FROM public.documents;
SELECT slug FROM public.assistants ORDER BY slug;
RESET ROLE;

-- The id set is computed once per statement (an InitPlan) and the tenant index stays the index condition.
SET LOCAL enable_seqscan = off;
SET LOCAL ROLE app_user;
EXPLAIN (COSTS OFF) SELECT id FROM public.documents WHERE status = 'ready';
RESET ROLE;
SET LOCAL ROLE org_rls_auditor;
EXPLAIN (COSTS OFF) SELECT id FROM public.documents WHERE status = 'ready';
RESET ROLE;
ROLLBACK;
