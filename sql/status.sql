-- What the migration has done so far, one row per object org_rls manages.

CREATE FUNCTION status()
RETURNS TABLE (component text, relation regclass, state text, detail text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    attached @extschema@.assistants_table;
    missing  bigint;
    total    bigint;
BEGIN
    RETURN QUERY
        SELECT 'organizations', '@extschema@.organizations'::regclass,
               format('%s organizations', count(*)), NULL::text
          FROM @extschema@.organizations;

    RETURN QUERY
        SELECT 'compatibility view', v.view, 'present',
               format('view over %s', v.relation)
          FROM @extschema@.compatibility_views v
         ORDER BY v.view::text;

    SELECT * INTO attached FROM @extschema@.assistants_table;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'assistants', NULL::regclass, 'not attached',
                            'Run org_rls.attach_assistants().';
    ELSE
        missing := @extschema@._count_unassigned(attached);
        EXECUTE format('SELECT count(*) FROM %s', attached.relation) INTO total;
        RETURN QUERY
            SELECT 'assistants', attached.relation,
                   CASE WHEN a.attnotnull THEN 'finalized'
                        WHEN missing > 0 THEN 'backfill incomplete'
                        ELSE 'backfilled' END,
                   format('%s of %s assistants without an organization; name column %I; foreign key %s',
                          missing, total, attached.name_column,
                          CASE WHEN bool_and(con.convalidated) THEN 'validated' ELSE 'not validated' END)
              FROM pg_attribute a
              LEFT JOIN pg_constraint con
                ON con.conrelid = a.attrelid AND con.contype = 'f'
               AND con.confrelid = '@extschema@.organizations'::regclass
             WHERE a.attrelid = attached.relation AND a.attname = 'organization_id'
             GROUP BY a.attnotnull;
    END IF;

    RETURN QUERY
        SELECT 'protected table', p.relation, 'protected',
               concat_ws('; ',
                         CASE WHEN p.tenant_column IS NULL THEN 'filtered by organization_id'
                              ELSE format('filtered by %I', p.tenant_column) END,
                         CASE WHEN p.added_permissive THEN 'permissive policy org_rls_access added' END,
                         CASE WHEN p.enabled_rls THEN 'row-level security enabled by org_rls' END)
          FROM @extschema@.protected_tables p
         ORDER BY p.relation::text;
END
$fn$;
COMMENT ON FUNCTION status() IS
    'Lists the organizations count, compatibility views, the attached assistants table with how many assistants lack an organization, and the protected tables.';
REVOKE EXECUTE ON FUNCTION status() FROM PUBLIC;
