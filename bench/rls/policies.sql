-- Runs after the migration, before org_rls.protect: grants, and one set of
-- permissive policies per policy shape, each TO its own role, so that all
-- shapes coexist. org_rls's own policies apply TO PUBLIC, so the script
-- measures the other shapes while the tables are unprotected.
SET client_min_messages = warning;

GRANT USAGE ON SCHEMA public, bench TO bench_base, bench_tenant, bench_exists, bench_definer, bench_in, bench_org;
GRANT SELECT, INSERT, UPDATE ON public.messages, public.conversations, public.knowledge, public.documents
    TO bench_base, bench_tenant, bench_exists, bench_definer, bench_in, bench_org;
GRANT SELECT ON public.assistants TO bench_base, bench_tenant, bench_exists, bench_definer, bench_in, bench_org;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public
    TO bench_base, bench_tenant, bench_exists, bench_definer, bench_in, bench_org;

-- The membership table is readable by the shapes that look it up per row.
CREATE POLICY bench_read ON public.assistants FOR SELECT
    TO bench_tenant, bench_exists, bench_definer, bench_in, bench_org USING (true);

-- Per-row membership check, as a SECURITY DEFINER function (owned by the
-- superuser that runs this file, so row-level security does not apply to
-- its lookup). Fully qualified names stand in for a SET search_path clause,
-- which would add a configuration change to every call.
CREATE FUNCTION bench.is_member(tenant uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER AS $fn$
    SELECT EXISTS (SELECT 1 FROM public.assistants a
                    WHERE a.id = tenant
                      AND a.organization_id = pg_catalog.current_setting('app.org')::uuid)
$fn$;
GRANT EXECUTE ON FUNCTION bench.is_member(uuid) TO bench_definer;

DO $policies$
DECLARE
    tbl text;
BEGIN
    FOREACH tbl IN ARRAY ARRAY['messages', 'conversations', 'knowledge', 'documents'] LOOP
        EXECUTE format($p$CREATE POLICY bench_tenant ON public.%1$I FOR ALL TO bench_tenant
            USING (tenant_id = current_setting('app.current_tenant')::uuid)
            WITH CHECK (tenant_id = current_setting('app.current_tenant')::uuid)$p$, tbl);
        EXECUTE format($p$CREATE POLICY bench_exists ON public.%1$I FOR ALL TO bench_exists
            USING (EXISTS (SELECT 1 FROM public.assistants a
                            WHERE a.id = %1$I.tenant_id
                              AND a.organization_id = current_setting('app.org')::uuid))
            WITH CHECK (EXISTS (SELECT 1 FROM public.assistants a
                                 WHERE a.id = %1$I.tenant_id
                                   AND a.organization_id = current_setting('app.org')::uuid))$p$, tbl);
        EXECUTE format($p$CREATE POLICY bench_definer ON public.%1$I FOR ALL TO bench_definer
            USING (bench.is_member(tenant_id)) WITH CHECK (bench.is_member(tenant_id))$p$, tbl);
        EXECUTE format($p$CREATE POLICY bench_in ON public.%1$I FOR ALL TO bench_in
            USING (tenant_id IN (SELECT a.id FROM public.assistants a
                                  WHERE a.organization_id = current_setting('app.org')::uuid))
            WITH CHECK (tenant_id IN (SELECT a.id FROM public.assistants a
                                       WHERE a.organization_id = current_setting('app.org')::uuid))$p$, tbl);
        -- org_rls's RESTRICTIVE policy does the filtering for bench_org.
        EXECUTE format($p$CREATE POLICY bench_org ON public.%1$I FOR ALL TO bench_org
            USING (true) WITH CHECK (true)$p$, tbl);
    END LOOP;
END
$policies$;

-- The assistant, conversation and organizations that the queries use: the
-- first assistant of large organization 1, and a one-assistant organization.
INSERT INTO bench.param (name, value)
SELECT 'tenant', assistant_id::text FROM bench.assignment WHERE g = 1
UNION ALL SELECT 'conv', md5('fixture-conv-1-1')::uuid::text
UNION ALL SELECT 'large_org', organization_id::text FROM bench.organization WHERE org_no = 1
UNION ALL SELECT 'large_ids', array_agg(m.assistant_id ORDER BY m.assistant_id)::text
            FROM bench.assignment m WHERE m.org_no = 1
UNION ALL SELECT 'large_count', count(*)::text FROM bench.assignment m WHERE m.org_no = 1
UNION ALL SELECT 'small_org', organization_id::text FROM bench.organization WHERE org_no = 4
UNION ALL SELECT 'small_ids', array_agg(m.assistant_id ORDER BY m.assistant_id)::text
            FROM bench.assignment m WHERE m.org_no = 4
UNION ALL SELECT 'small_count', count(*)::text FROM bench.assignment m WHERE m.org_no = 4
UNION ALL SELECT 'small_tenant', assistant_id::text FROM bench.assignment WHERE org_no = 4
UNION ALL SELECT 'small_g', g::text FROM bench.assignment WHERE org_no = 4
UNION ALL SELECT 'small_conv', md5('fixture-conv-' || g || '-1')::uuid::text FROM bench.assignment WHERE org_no = 4;
