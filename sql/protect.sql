-- Organization isolation: a RESTRICTIVE policy added on top of the policies
-- a table already has, so that they keep deciding within the organization.

-- Returns the type of a column with domains resolved to their base type.
CREATE FUNCTION _base_type(type_oid regtype) RETURNS regtype
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    WITH RECURSIVE chain(oid, base) AS (
        SELECT t.oid, t.typbasetype FROM pg_type t WHERE t.oid = type_oid
        UNION ALL
        SELECT t.oid, t.typbasetype FROM pg_type t JOIN chain c ON t.oid = c.base
    )
    SELECT oid::regtype FROM chain WHERE base = 0
$fn$;
COMMENT ON FUNCTION _base_type(regtype) IS
    'Internal: returns a type with domains resolved to their base type.';
REVOKE EXECUTE ON FUNCTION _base_type(regtype) FROM PUBLIC;

-- Adds org_rls's policies to one table (not its partitions) and records them.
CREATE FUNCTION _protect_one(tbl regclass, tenant_column name, predicate text,
                             visible_predicate text, parent regclass) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    enabled_rls      boolean := false;
    added_permissive boolean := false;
    taken_name       name;
BEGIN
    SELECT p.polname INTO taken_name FROM pg_policy p
     WHERE p.polrelid = tbl
       AND p.polname IN ('org_rls_isolation', 'org_rls_access', 'org_rls_shared_update', 'org_rls_shared_delete')
     ORDER BY p.polname LIMIT 1;
    IF taken_name IS NOT NULL THEN
        RAISE EXCEPTION 'table % already has a policy named %', tbl, taken_name
            USING ERRCODE = 'duplicate_object',
                  HINT = 'org_rls did not record protecting this table. Drop or rename that policy, then protect again.';
    END IF;
    PERFORM @extschema@._lock(tbl, 'ACCESS EXCLUSIVE');

    IF NOT (SELECT c.relrowsecurity FROM pg_class c WHERE c.oid = tbl) THEN
        EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
        enabled_rls := true;
    END IF;

    IF NOT EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = tbl AND p.polpermissive) THEN
        RAISE WARNING 'table % has no permissive policy', tbl
            USING DETAIL = 'Without a permissive policy, row-level security shows no rows to roles subject to it.',
                  HINT = 'org_rls added the permissive policy org_rls_access with the organization predicate. Replace it with your own policy when you have one.';
        EXECUTE format('CREATE POLICY org_rls_access ON %s AS PERMISSIVE FOR ALL TO PUBLIC USING (%s) WITH CHECK (%s)',
                       tbl, visible_predicate, predicate);
        EXECUTE format('COMMENT ON POLICY org_rls_access ON %s IS %L', tbl,
                       'Added by org_rls.protect because the table had no permissive policy: rows of the current organization.');
        added_permissive := true;
    END IF;

    EXECUTE format('CREATE POLICY org_rls_isolation ON %s AS RESTRICTIVE FOR ALL TO PUBLIC USING (%s) WITH CHECK (%s)',
                   tbl, visible_predicate, predicate);
    EXECUTE format('COMMENT ON POLICY org_rls_isolation ON %s IS %L', tbl,
                   'Added by org_rls.protect: limits every other policy to the current organization.');

    -- Shared rows (a NULL tenant) pass the USING of org_rls_isolation, and
    -- UPDATE and DELETE apply USING to the rows they change, so these two
    -- policies keep shared rows read-only.
    IF visible_predicate <> predicate THEN
        EXECUTE format('CREATE POLICY org_rls_shared_update ON %s AS RESTRICTIVE FOR UPDATE TO PUBLIC USING (%s)',
                       tbl, predicate);
        EXECUTE format('COMMENT ON POLICY org_rls_shared_update ON %s IS %L', tbl,
                       'Added by org_rls.protect with shared_nulls: rows with a NULL tenant cannot be updated.');
        EXECUTE format('CREATE POLICY org_rls_shared_delete ON %s AS RESTRICTIVE FOR DELETE TO PUBLIC USING (%s)',
                       tbl, predicate);
        EXECUTE format('COMMENT ON POLICY org_rls_shared_delete ON %s IS %L', tbl,
                       'Added by org_rls.protect with shared_nulls: rows with a NULL tenant cannot be deleted.');
    END IF;

    INSERT INTO @extschema@.protected_tables
        (relation, tenant_column, enabled_rls, added_permissive, shared_nulls, parent)
    VALUES (tbl, tenant_column, enabled_rls, added_permissive, visible_predicate <> predicate, parent);
END
$fn$;
COMMENT ON FUNCTION _protect_one(regclass, name, text, text, regclass) IS
    'Internal: adds the org_rls policies to one table and records what it changed.';
REVOKE EXECUTE ON FUNCTION _protect_one(regclass, name, text, text, regclass) FROM PUBLIC;

-- Returns the predicate that limits tbl to the current organization, after
-- checking its tenant column.
CREATE FUNCTION _organization_predicate(tbl regclass, tenant_column name) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    column_type regtype;
BEGIN
    IF tbl = (@extschema@._attached()).relation THEN
        RETURN 'organization_id OPERATOR(pg_catalog.=) (SELECT @extschema@.organization_id())';
    END IF;
    column_type := @extschema@._column_type(tbl, tenant_column);
    IF @extschema@._base_type(column_type) <> 'uuid'::regtype THEN
        RAISE EXCEPTION 'column "%" of relation % is not of type uuid', tenant_column, tbl
            USING ERRCODE = 'datatype_mismatch',
                  DETAIL = format('Its type is %s.', column_type),
                  HINT = 'Pass the column that holds assistant ids as uuid. A text column can be converted first with ALTER TABLE ... ALTER COLUMN ... TYPE uuid USING lower(column)::uuid.';
    END IF;
    -- A btree index that leads with the column can still serve it: the
    -- function's planner support offers column = ANY (assistant_ids()).
    RETURN format('@extschema@.in_organization(%I)', tenant_column);
END
$fn$;
COMMENT ON FUNCTION _organization_predicate(regclass, name) IS
    'Internal: returns the policy predicate for a table, or raises when its tenant column is missing or not a uuid.';
REVOKE EXECUTE ON FUNCTION _organization_predicate(regclass, name) FROM PUBLIC;

-- Warns about rows that protect is about to hide: those of a tenant column
-- that may not hold assistant ids, and those of assistants that have no
-- organization yet.
CREATE FUNCTION _warn_hidden_rows(tbl regclass, tenant_column name,
                                  attached @extschema@.assistants_table) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    missing bigint := @extschema@._count_unassigned(attached);
BEGIN
    IF tenant_column IS NOT NULL AND NOT EXISTS (
        SELECT FROM pg_constraint con JOIN pg_attribute a
            ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
         WHERE con.conrelid = tbl AND con.contype = 'f' AND cardinality(con.conkey) = 1
           AND a.attname = tenant_column AND con.confrelid = attached.relation) THEN
        RAISE WARNING 'column "%" of % has no foreign key to %', tenant_column, tbl, attached.relation
            USING DETAIL = 'org_rls compares it with the ids of the current organization''s assistants; rows whose value is not such an id are hidden from roles subject to row-level security.',
                  HINT = 'Check that the column holds assistant ids.';
    END IF;
    IF missing > 0 THEN
        RAISE WARNING '% assistants in % have no organization yet', missing, attached.relation
            USING DETAIL = format('Rows of %s that belong to them are hidden from roles subject to row-level security.', tbl),
                  HINT = 'Run CALL org_rls.backfill() before the application depends on these rows.';
    END IF;
END
$fn$;
COMMENT ON FUNCTION _warn_hidden_rows(regclass, name, @extschema@.assistants_table) IS
    'Internal: warns when protect would hide rows of a tenant column without a foreign key to the assistants, or of assistants without an organization.';
REVOKE EXECUTE ON FUNCTION _warn_hidden_rows(regclass, name, @extschema@.assistants_table) FROM PUBLIC;

CREATE FUNCTION protect(
    tbl           regclass,
    tenant_column name    DEFAULT 'tenant_id',
    shared_nulls  boolean DEFAULT false
) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    attached          @extschema@.assistants_table := @extschema@._attached();
    targets           regclass[];
    target            regclass;
    predicate         text;
    visible_predicate text;
BEGIN
    PERFORM @extschema@._require_table(tbl, 'tbl');
    IF shared_nulls IS NULL THEN
        RAISE EXCEPTION 'shared_nulls must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;

    -- The table first, then every partition not protected yet: queries that
    -- name a partition directly apply that partition's policies, not the
    -- parent's. pg_partition_tree returns no row outside a partition tree.
    targets := ARRAY(
        SELECT t.relid
          FROM (SELECT tbl AS relid, 0 AS level
                UNION
                SELECT p.relid, p.level FROM pg_partition_tree(tbl) p) AS t
         WHERE NOT EXISTS (SELECT FROM @extschema@.protected_tables p WHERE p.relation = t.relid)
         ORDER BY t.level, t.relid::text);
    IF cardinality(targets) = 0 THEN
        RAISE NOTICE 'table % is already protected, skipping', tbl
            USING HINT = 'To protect it with another tenant column or shared_nulls, run org_rls.unprotect() first.';
        RETURN;
    END IF;

    predicate := @extschema@._organization_predicate(tbl, tenant_column);
    IF tbl = attached.relation THEN
        tenant_column := NULL;
        shared_nulls := false;
    END IF;
    PERFORM @extschema@._warn_hidden_rows(tbl, tenant_column, attached);

    -- Rows whose tenant column is NULL belong to no assistant. They stay
    -- hidden unless the caller declares them shared; shared rows are
    -- readable by every organization and writable by none.
    visible_predicate := predicate;
    IF shared_nulls THEN
        visible_predicate := format('(%I IS NULL OR %s)', tenant_column, predicate);
    ELSIF tenant_column IS NOT NULL AND NOT (SELECT a.attnotnull FROM pg_attribute a
                                              WHERE a.attrelid = tbl AND a.attname = tenant_column) THEN
        RAISE NOTICE 'rows of % whose % is NULL are hidden from roles subject to row-level security', tbl, tenant_column
            USING HINT = 'To show them to every organization, read-only, run org_rls.unprotect() and protect again with shared_nulls => true.';
    END IF;

    FOREACH target IN ARRAY targets LOOP
        PERFORM @extschema@._protect_one(target, tenant_column, predicate, visible_predicate,
                                        CASE WHEN target <> tbl THEN tbl END);
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION protect(regclass, name, boolean) IS
    'Adds the RESTRICTIVE policy org_rls_isolation that limits a table and its partitions to the current organization, enabling row-level security if needed.';
REVOKE EXECUTE ON FUNCTION protect(regclass, name, boolean) FROM PUBLIC;

CREATE FUNCTION unprotect(tbl regclass) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    recorded @extschema@.protected_tables;
BEGIN
    PERFORM @extschema@._require_table(tbl, 'tbl');
    IF NOT EXISTS (SELECT FROM @extschema@.protected_tables p WHERE p.relation = tbl) THEN
        RAISE NOTICE 'table % is not protected by org_rls, skipping', tbl;
        RETURN;
    END IF;

    FOR recorded IN
        SELECT p.* FROM @extschema@.protected_tables p
         WHERE p.relation = tbl OR p.parent = tbl
    LOOP
        PERFORM @extschema@._lock(recorded.relation, 'ACCESS EXCLUSIVE');
        EXECUTE format('DROP POLICY IF EXISTS org_rls_isolation ON %s', recorded.relation);
        IF recorded.shared_nulls THEN
            EXECUTE format('DROP POLICY IF EXISTS org_rls_shared_update ON %s', recorded.relation);
            EXECUTE format('DROP POLICY IF EXISTS org_rls_shared_delete ON %s', recorded.relation);
        END IF;
        IF recorded.added_permissive THEN
            EXECUTE format('DROP POLICY IF EXISTS org_rls_access ON %s', recorded.relation);
        END IF;
        -- Policies added by others since protect() keep row-level security on.
        IF recorded.enabled_rls AND NOT EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = recorded.relation) THEN
            EXECUTE format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', recorded.relation);
        END IF;
        DELETE FROM @extschema@.protected_tables p WHERE p.relation = recorded.relation;
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION unprotect(regclass) IS
    'Removes what org_rls.protect added to a table and its partitions: the policies, and row-level security where protect enabled it and no policy remains.';
REVOKE EXECUTE ON FUNCTION unprotect(regclass) FROM PUBLIC;
