-- Setup of the LEAKPROOF section: a rare word in 0.1% of the chunks (the
-- generator's 40-word vocabulary makes every word common, which hides what
-- a selective full-text index gives), and SECURITY DEFINER search functions
-- that apply the organization filter themselves.
SET client_min_messages = warning;

UPDATE public.knowledge SET content = content || ' zebra' WHERE id % 1000 = 7;
VACUUM ANALYZE public.knowledge;

-- The functions' owner is not subject to row-level security, so each
-- function checks the organization itself before it reads. Here the owner
-- is the superuser that runs this file, and in production the tables' owner.
CREATE FUNCTION bench.search_assistant_knowledge(p_tenant uuid, p_tsquery text)
RETURNS TABLE (id bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    IF p_tenant IS NULL OR NOT p_tenant = ANY (org_rls.assistant_ids()) THEN
        RETURN;
    END IF;
    RETURN QUERY
        SELECT k.id FROM public.knowledge k
         WHERE k.tenant_id = p_tenant AND k.fts @@ to_tsquery('english', p_tsquery);
END
$fn$;

CREATE FUNCTION bench.search_organization_knowledge(p_tsquery text)
RETURNS TABLE (id bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    ids uuid[] := org_rls.assistant_ids();
BEGIN
    RETURN QUERY
        SELECT k.id FROM public.knowledge k
         WHERE k.tenant_id = ANY (ids) AND k.fts @@ to_tsquery('english', p_tsquery);
END
$fn$;
REVOKE EXECUTE ON FUNCTION bench.search_assistant_knowledge(uuid, text),
                           bench.search_organization_knowledge(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bench.search_assistant_knowledge(uuid, text),
                          bench.search_organization_knowledge(text) TO bench_org;
