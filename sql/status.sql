-- The state of the migration so far, one row per object org_rls manages.

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
    -- Loads the library, which defines org_rls.lock_timeout.
    PERFORM @extschema@._lock_timeout_ms();
    RETURN QUERY
        SELECT 'organizations', '@extschema@.organizations'::regclass,
               format('%s organizations', count(*)), NULL::text
          FROM @extschema@.organizations;

    RETURN QUERY
        SELECT 'compatibility view', v.view, 'present',
               format('view over %s', v.relation)
          FROM @extschema@.compatibility_views v
         ORDER BY v.view::text;

    -- The context sources, as this session sees them.
    RETURN QUERY
        SELECT 'setting', NULL::regclass, s.name || ' = ' || coalesce(nullif(current_setting(s.name, true), ''), '(empty)'),
               s.meaning
          FROM (VALUES
                ('org_rls.legacy_tenant_setting', 'the application setting whose assistant selects the organization; empty: none'),
                ('org_rls.jwt_claim', 'the claim of request.jwt.claims that holds the organization id'),
                ('org_rls.lock_timeout', 'how long each migration step waits for its lock')) AS s(name, meaning);

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
                         CASE WHEN p.shared_nulls THEN 'rows with a NULL tenant are shared, read-only' END,
                         CASE WHEN p.parent IS NOT NULL THEN format('partition of %s', p.parent) END,
                         CASE WHEN p.added_permissive THEN 'permissive policy org_rls_access added' END,
                         CASE WHEN p.enabled_rls THEN 'row-level security enabled by org_rls' END)
          FROM @extschema@.protected_tables p
         ORDER BY p.relation::text;

    -- A partition attached or created after protect() has no policies, and
    -- queries that name it directly see every organization.
    RETURN QUERY
        SELECT 'protected table', t.relid, 'not protected',
               format('partition of protected table %s; run org_rls.protect(%L) again', p.relation, p.relation::text)
          FROM @extschema@.protected_tables p, pg_partition_tree(p.relation) t
         WHERE p.parent IS NULL AND t.relid <> p.relation
           AND NOT EXISTS (SELECT FROM @extschema@.protected_tables q WHERE q.relation = t.relid)
         ORDER BY t.relid::text;

    -- Functions whose body names a compatibility view go through it, except
    -- TRUNCATE, which fails on a view.
    RETURN QUERY
        SELECT 'function using a compatibility view', NULL::regclass,
               CASE WHEN f.prosrc ~* ('truncate[^;]*\m' || c.relname || '\M')
                    THEN 'fails: truncates the view' ELSE 'works through the view' END,
               format('%s names %s in its body', f.oid::regprocedure, v.view)
          FROM @extschema@.compatibility_views v
          JOIN pg_class c ON c.oid = v.view
          JOIN pg_proc f ON f.prosrc ~ ('\m' || c.relname || '\M')
         WHERE f.prolang IN (SELECT l.oid FROM pg_language l WHERE l.lanname IN ('sql', 'plpgsql'))
           AND f.pronamespace <> '@extschema@'::regnamespace
         ORDER BY 4;
END
$fn$;
COMMENT ON FUNCTION status() IS
    'Lists the organizations count, compatibility views, the attached assistants table with how many assistants lack an organization, the protected tables and unprotected partitions, and functions that name a compatibility view.';
REVOKE EXECUTE ON FUNCTION status() FROM PUBLIC;
