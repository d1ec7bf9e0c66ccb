-- protect on a partitioned table covers every partition, so a plain role reading a partition directly sees no other organization; status reports partitions added later.
BEGIN;
\i tests/pg_regress/include/migrated.sql
CREATE TABLE public.chat_log (id bigint, tenant_id uuid NOT NULL, body text) PARTITION BY LIST (tenant_id);
CREATE TABLE public.chat_log_1 PARTITION OF public.chat_log FOR VALUES IN (:'org1_tenant1', :'org1_tenant2');
CREATE TABLE public.chat_log_rest PARTITION OF public.chat_log DEFAULT;
GRANT SELECT, INSERT ON public.chat_log, public.chat_log_1, public.chat_log_rest TO app_user;
INSERT INTO public.chat_log SELECT n, pg_temp.tenant(n), 'line ' || n FROM generate_series(1, 6) AS n;

SELECT org_rls.protect('public.chat_log');
SELECT relation, parent, added_permissive FROM org_rls.protected_tables
 WHERE relation::text LIKE 'chat_log%' ORDER BY relation::text;

SET LOCAL ROLE app_user;
SELECT org_rls.use_organization(:'org3') IS NOT NULL AS context_set;
SELECT id FROM public.chat_log ORDER BY id;
SELECT id FROM public.chat_log_1 ORDER BY id;
SELECT id FROM public.chat_log_rest ORDER BY id;
INSERT INTO public.chat_log_rest VALUES (7, pg_temp.tenant(4), 'into another organization');
RESET ROLE;

-- A partition added later has no policies until protect runs again.
CREATE TABLE public.chat_log_2 (id bigint, tenant_id uuid NOT NULL, body text);
ALTER TABLE public.chat_log ATTACH PARTITION public.chat_log_2
    FOR VALUES IN ('00000000-0000-4000-8000-0000000000ff');
SELECT component, relation, state, detail FROM org_rls.status() WHERE relation::text LIKE 'chat_log%';
SELECT org_rls.protect('public.chat_log');
SELECT count(*) AS unprotected_partitions FROM org_rls.status() WHERE state = 'not protected';

SELECT org_rls.unprotect('public.chat_log');
SELECT count(*) AS policies FROM pg_policy WHERE polrelid::regclass::text LIKE 'chat_log%';
ROLLBACK;
