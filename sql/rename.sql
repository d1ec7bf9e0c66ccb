-- Step 1 of the migration: rename the legacy tenants table and keep its old
-- name working through a view.

-- Grants on target every table and column privilege that rel grants to others.
CREATE FUNCTION _copy_privileges(rel regclass, target regclass) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    owner oid := (SELECT c.relowner FROM pg_class c WHERE c.oid = rel);
    grant_row record;
BEGIN
    FOR grant_row IN
        SELECT NULL::name AS column_name, acl.grantee, acl.privilege_type, acl.is_grantable
          FROM pg_class c, aclexplode(c.relacl) AS acl
         WHERE c.oid = rel AND acl.grantee <> owner
        UNION ALL
        SELECT a.attname, acl.grantee, acl.privilege_type, acl.is_grantable
          FROM pg_attribute a, aclexplode(a.attacl) AS acl
         WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
           AND acl.grantee <> owner
    LOOP
        EXECUTE format('GRANT %s %s ON %s TO %s %s',
                       grant_row.privilege_type,
                       CASE WHEN grant_row.column_name IS NOT NULL
                            THEN format('(%I)', grant_row.column_name) ELSE '' END,
                       target,
                       CASE WHEN grant_row.grantee = 0 THEN 'PUBLIC'
                            ELSE quote_ident(pg_get_userbyid(grant_row.grantee)) END,
                       CASE WHEN grant_row.is_grantable THEN 'WITH GRANT OPTION' ELSE '' END);
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION _copy_privileges(regclass, regclass) IS
    'Internal: grants on a view the table and column privileges that a table grants to roles other than its owner.';
REVOKE EXECUTE ON FUNCTION _copy_privileges(regclass, regclass) FROM PUBLIC;

CREATE FUNCTION rename_tenants(
    tenants  regclass DEFAULT 'public.tenants'::text::regclass,
    new_name name     DEFAULT 'assistants'
) RETURNS regclass
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    schema_name name;
    old_name    name;
    owner_name  name;
    renamed     regclass;
    compat_view regclass;
    -- pg_relation_is_updatable bits for UPDATE, INSERT and DELETE
    all_writes  constant integer := (1 << 2) | (1 << 3) | (1 << 4);
BEGIN
    -- A second call after a successful rename finds the compatibility view.
    SELECT v.relation INTO renamed FROM @extschema@.compatibility_views v WHERE v.view = tenants;
    IF FOUND AND (SELECT c.relname FROM pg_class c WHERE c.oid = renamed) = new_name THEN
        RAISE NOTICE '% is already renamed to %, skipping', tenants, renamed;
        RETURN renamed;
    END IF;
    PERFORM @extschema@._require_table(tenants, 'tenants');
    IF new_name IS NULL OR new_name = '' THEN
        RAISE EXCEPTION 'new_name must not be null or empty'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass the new name of the table, for example ''assistants''.';
    END IF;
    PERFORM @extschema@._lock(tenants, 'ACCESS EXCLUSIVE');

    SELECT n.nspname, c.relname, pg_get_userbyid(c.relowner)
      INTO schema_name, old_name, owner_name
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = tenants;

    IF EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = schema_name AND c.relname = new_name)
       OR EXISTS (SELECT FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                   WHERE n.nspname = schema_name AND t.typname = new_name) THEN
        RAISE EXCEPTION 'relation "%.%" already exists', schema_name, new_name
            USING ERRCODE = 'duplicate_table',
                  DETAIL = format('%s was not renamed.', tenants),
                  HINT = 'Pass another new_name, or rename or drop the existing relation first.';
    END IF;

    EXECUTE format('ALTER TABLE %I.%I RENAME TO %I', schema_name, old_name, new_name);
    renamed := format('%I.%I', schema_name, new_name)::regclass;

    EXECUTE format('CREATE VIEW %I.%I WITH (security_invoker = true) AS SELECT * FROM %s',
                   schema_name, old_name, renamed);
    compat_view := format('%I.%I', schema_name, old_name)::regclass;
    EXECUTE format('ALTER VIEW %s OWNER TO %I', compat_view, owner_name);
    PERFORM @extschema@._copy_privileges(renamed, compat_view);
    EXECUTE format('COMMENT ON VIEW %s IS %L', compat_view,
                   format('Compatibility view over %s, created by org_rls.rename_tenants so that code using the old name keeps working.', renamed));

    IF pg_relation_is_updatable(compat_view, false) & all_writes <> all_writes THEN
        RAISE EXCEPTION 'compatibility view % would not be automatically updatable', compat_view
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('%s was not renamed.', tenants),
                  HINT = 'Check the table for features that make a SELECT * view read-only.';
    END IF;

    INSERT INTO @extschema@.compatibility_views (view, relation) VALUES (compat_view, renamed);
    RETURN renamed;
END
$fn$;
COMMENT ON FUNCTION rename_tenants(regclass, name) IS
    'Renames the tenants table and leaves an updatable security_invoker view under the old name, with the same owner and privileges.';
REVOKE EXECUTE ON FUNCTION rename_tenants(regclass, name) FROM PUBLIC;
