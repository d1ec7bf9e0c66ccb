-- Organization isolation: a RESTRICTIVE policy added on top of the policies
-- a table already has, so that they keep deciding within the organization.

CREATE FUNCTION protect(tbl regclass, tenant_column name DEFAULT 'tenant_id') RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    attached          @extschema@.assistants_table := @extschema@._attached();
    is_assistants     boolean;
    predicate         text;
    enabled_rls       boolean := false;
    added_permissive  boolean := false;
BEGIN
    PERFORM @extschema@._require_table(tbl, 'tbl');
    IF EXISTS (SELECT FROM @extschema@.protected_tables p WHERE p.relation = tbl) THEN
        RAISE NOTICE 'table "%" is already protected, skipping', tbl;
        RETURN;
    END IF;
    IF EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = tbl
                AND p.polname IN ('org_rls_isolation', 'org_rls_access')) THEN
        RAISE EXCEPTION 'table "%" already has a policy named org_rls_isolation or org_rls_access', tbl
            USING ERRCODE = 'duplicate_object',
                  HINT = 'org_rls did not record protecting this table. Drop or rename that policy, then protect again.';
    END IF;

    is_assistants := tbl = attached.relation;
    IF is_assistants THEN
        tenant_column := NULL;
        predicate := 'organization_id OPERATOR(pg_catalog.=) (SELECT @extschema@.organization_id())';
    ELSIF @extschema@._column_type(tbl, tenant_column) <> 'uuid'::regtype THEN
        RAISE EXCEPTION 'column "%" of relation "%" is not of type uuid', tenant_column, tbl
            USING ERRCODE = 'datatype_mismatch',
                  DETAIL = format('Its type is %s.', @extschema@._column_type(tbl, tenant_column)),
                  HINT = 'Pass the column that holds assistant ids as uuid.';
    ELSE
        -- The cast makes the parser read ANY (array expression), and the
        -- scalar subquery becomes an InitPlan: one evaluation per statement.
        predicate := format('%I OPERATOR(pg_catalog.=) ANY ((SELECT @extschema@.assistant_ids())::uuid[])',
                            tenant_column);
    END IF;

    IF NOT (SELECT c.relrowsecurity FROM pg_class c WHERE c.oid = tbl) THEN
        EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
        enabled_rls := true;
    END IF;

    IF NOT EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = tbl AND p.polpermissive) THEN
        RAISE WARNING 'table "%" has no permissive policy', tbl
            USING DETAIL = 'Without a permissive policy, row-level security shows no rows to roles subject to it.',
                  HINT = 'org_rls added the permissive policy org_rls_access with the organization predicate. Replace it with your own policy when you have one.';
        EXECUTE format('CREATE POLICY org_rls_access ON %s AS PERMISSIVE FOR ALL TO PUBLIC USING (%s) WITH CHECK (%s)',
                       tbl, predicate, predicate);
        EXECUTE format('COMMENT ON POLICY org_rls_access ON %s IS %L', tbl,
                       'Added by org_rls.protect because the table had no permissive policy: rows of the current organization.');
        added_permissive := true;
    END IF;

    EXECUTE format('CREATE POLICY org_rls_isolation ON %s AS RESTRICTIVE FOR ALL TO PUBLIC USING (%s) WITH CHECK (%s)',
                   tbl, predicate, predicate);
    EXECUTE format('COMMENT ON POLICY org_rls_isolation ON %s IS %L', tbl,
                   'Added by org_rls.protect: limits every other policy to the current organization.');

    INSERT INTO @extschema@.protected_tables (relation, tenant_column, enabled_rls, added_permissive)
    VALUES (tbl, tenant_column, enabled_rls, added_permissive);
END
$fn$;
COMMENT ON FUNCTION protect(regclass, name) IS
    'Adds the RESTRICTIVE policy org_rls_isolation that limits a table to the current organization, enabling row-level security if needed.';
REVOKE EXECUTE ON FUNCTION protect(regclass, name) FROM PUBLIC;

CREATE FUNCTION unprotect(tbl regclass) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    recorded @extschema@.protected_tables;
BEGIN
    PERFORM @extschema@._require_table(tbl, 'tbl');
    SELECT * INTO recorded FROM @extschema@.protected_tables p WHERE p.relation = tbl;
    IF NOT FOUND THEN
        RAISE NOTICE 'table "%" is not protected by org_rls, skipping', tbl;
        RETURN;
    END IF;

    EXECUTE format('DROP POLICY IF EXISTS org_rls_isolation ON %s', tbl);
    IF recorded.added_permissive THEN
        EXECUTE format('DROP POLICY IF EXISTS org_rls_access ON %s', tbl);
    END IF;
    -- Policies added by others since protect() keep row-level security on.
    IF recorded.enabled_rls AND NOT EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = tbl) THEN
        EXECUTE format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', tbl);
    END IF;
    DELETE FROM @extschema@.protected_tables p WHERE p.relation = tbl;
END
$fn$;
COMMENT ON FUNCTION unprotect(regclass) IS
    'Removes what org_rls.protect added to a table: its policies, and row-level security if protect enabled it and no policy remains.';
REVOKE EXECUTE ON FUNCTION unprotect(regclass) FROM PUBLIC;
