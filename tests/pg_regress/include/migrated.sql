-- The example database after the whole migration: renamed, attached,
-- backfilled (one organization per assistant), finalized and protected.
-- Assistants 1 and 2 are then moved into one organization, so that
-- organization has two assistants.
\set ECHO none
\i tests/pg_regress/include/fixture.sql
\set ECHO none
CREATE EXTENSION org_rls;
SELECT org_rls.rename_tenants() IS NOT NULL AS renamed \gset
SELECT org_rls.attach_assistants() IS NULL AS attached \gset
SELECT org_rls.backfill_batch(100) AS backfilled \gset
SELECT org_rls.finalize_assistants() IS NULL AS finalized \gset
UPDATE public.assistants SET organization_id =
    (SELECT organization_id FROM public.assistants WHERE id = pg_temp.tenant(1))
 WHERE id = pg_temp.tenant(2);
DELETE FROM org_rls.organizations o
 WHERE NOT EXISTS (SELECT FROM public.assistants a WHERE a.organization_id = o.id);
SET client_min_messages = error;
SELECT count(org_rls.protect(t)) AS protected
  FROM unnest('{public.assistants, public.tenant_members, public.documents, public.knowledge,
                public.conversations, public.messages, public.events}'::regclass[]) AS t \gset
RESET client_min_messages;
SET org_rls.legacy_tenant_setting = 'app.current_tenant';
-- :org1 and :org3 are the organizations of assistants 1 and 3, read here
-- because a plain role may not see them.
SELECT (SELECT organization_id FROM public.assistants WHERE id = pg_temp.tenant(1)) AS org1,
       (SELECT organization_id FROM public.assistants WHERE id = pg_temp.tenant(3)) AS org3,
       pg_temp.tenant(1) AS org1_tenant1, pg_temp.tenant(2) AS org1_tenant2 \gset
\set ECHO all
