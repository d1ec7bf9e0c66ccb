-- A dry run: the steps the migration would take on a database and every
-- problem it would hit, read from the catalogs without changing anything.

CREATE FUNCTION plan_migration(
    tenants     regclass DEFAULT 'public.tenants'::text::regclass,
    new_name    name     DEFAULT 'assistants',
    name_column name     DEFAULT 'name'
) RETURNS TABLE (ordinal integer, kind text, object text, description text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    source       regclass := tenants;
    source_kind  "char";
    schema_name  name;
    renamed      boolean := false;
    child        record;
    assistants   bigint;
    missing      bigint;
    attached     boolean;
    finalized    boolean;
BEGIN
    ordinal := 0;
    IF tenants IS NULL THEN
        RAISE EXCEPTION 'argument tenants must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;

    -- A compatibility view left by rename_tenants means step 1 is done.
    SELECT v.relation INTO source FROM @extschema@.compatibility_views v WHERE v.view = tenants;
    IF FOUND THEN
        renamed := true;
    ELSE
        source := tenants;
    END IF;
    SELECT c.relkind, n.nspname INTO source_kind, schema_name
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = source;

    IF source_kind NOT IN ('r', 'p') THEN
        ordinal := ordinal + 1; kind := 'problem'; object := source::text;
        description := format('%s is not a table (relkind %s): rename_tenants and attach_assistants need the table that holds one row per assistant', source, source_kind);
        RETURN NEXT;
        RETURN;
    END IF;

    IF NOT renamed THEN
        IF EXISTS (SELECT FROM pg_class c WHERE c.relnamespace = schema_name::regnamespace AND c.relname = new_name) THEN
            ordinal := ordinal + 1; kind := 'problem'; object := format('%I.%I', schema_name, new_name);
            description := format('the name %I.%I is taken, so rename_tenants(%L, %L) would fail', schema_name, new_name, tenants::text, new_name);
            RETURN NEXT;
        END IF;
        ordinal := ordinal + 1; kind := 'step'; object := tenants::text;
        description := format('SELECT org_rls.rename_tenants(%L, %L);  -- a view %s takes the old name', tenants::text, new_name, tenants);
        RETURN NEXT;
    ELSE
        ordinal := ordinal + 1; kind := 'done'; object := tenants::text;
        description := format('already renamed: %s is the compatibility view over %s', tenants, source);
        RETURN NEXT;
    END IF;

    -- Checks of attach_assistants.
    IF NOT EXISTS (SELECT FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                    WHERE i.indrelid = source AND i.indisprimary AND i.indnkeyatts = 1
                      AND a.atttypid = 'uuid'::regtype) THEN
        ordinal := ordinal + 1; kind := 'problem'; object := source::text;
        description := 'no single-column uuid primary key: attach_assistants needs one, because tenant columns are compared as uuid';
        RETURN NEXT;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = source AND a.attname = name_column
                      AND a.attnum > 0 AND NOT a.attisdropped) THEN
        ordinal := ordinal + 1; kind := 'problem'; object := format('%s.%I', source, name_column);
        description := format('column %I does not exist: pass the column that names an assistant as name_column', name_column);
        RETURN NEXT;
    END IF;
    IF EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = source AND a.attname = 'organization_id'
                  AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid <> 'uuid'::regtype) THEN
        ordinal := ordinal + 1; kind := 'problem'; object := format('%s.organization_id', source);
        description := 'a column organization_id of another type than uuid exists';
        RETURN NEXT;
    END IF;
    IF (SELECT c.relforcerowsecurity FROM pg_class c WHERE c.oid = source) THEN
        ordinal := ordinal + 1; kind := 'note'; object := source::text;
        description := 'FORCE ROW LEVEL SECURITY is set: the backfill must run as a superuser, which bypasses it (backfill_batch needs one anyway)';
        RETURN NEXT;
    END IF;

    -- Steps already taken are listed as done.
    attached := EXISTS (SELECT FROM @extschema@.assistants_table t WHERE t.relation = source);
    finalized := attached AND (SELECT a.attnotnull FROM pg_attribute a
                                WHERE a.attrelid = source AND a.attname = 'organization_id');
    EXECUTE format('SELECT count(*) FROM %s', source) INTO assistants;
    missing := assistants;
    IF attached THEN
        EXECUTE format('SELECT count(*) FROM %s WHERE organization_id IS NULL', source) INTO missing;
    END IF;
    ordinal := ordinal + 1; object := format('%I.%I', schema_name, CASE WHEN renamed THEN (SELECT relname FROM pg_class WHERE oid = source) ELSE new_name END);
    kind := CASE WHEN attached THEN 'done' ELSE 'step' END;
    description := format('SELECT org_rls.attach_assistants(%L, %L);', object, name_column);
    RETURN NEXT;
    ordinal := ordinal + 1;
    kind := CASE WHEN attached AND missing = 0 THEN 'done' ELSE 'step' END;
    description := format('CALL org_rls.backfill(1000);  -- %s of %s assistants without an organization, %s batch(es) of 1000',
                          missing, assistants, ceil(missing / 1000.0));
    RETURN NEXT;
    ordinal := ordinal + 1; kind := CASE WHEN finalized THEN 'done' ELSE 'step' END;
    description := 'SELECT org_rls.finalize_assistants();';
    RETURN NEXT;
    ordinal := ordinal + 1; kind := 'note';
    description := 'if the application keeps its current assistant in a setting (for example app.current_tenant), name it in org_rls.legacy_tenant_setting with ALTER DATABASE ... SET, so legacy sessions select their organization';
    RETURN NEXT;

    -- Child tables: every foreign key to the assistants table.
    FOR child IN
        SELECT con.conrelid::regclass AS rel, a.attname AS col, a.atttypid::regtype AS col_type,
               a.attnotnull, c.relkind, c.relrowsecurity,
               EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = con.conrelid AND p.polpermissive) AS has_permissive
          FROM pg_constraint con
          JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
          JOIN pg_class c ON c.oid = con.conrelid
         WHERE con.contype = 'f' AND con.confrelid = source AND cardinality(con.conkey) = 1
           AND con.conparentid = 0
         ORDER BY con.conrelid::regclass::text, a.attname
    LOOP
        object := child.rel::text;
        IF @extschema@._base_type(child.col_type) <> 'uuid'::regtype THEN
            ordinal := ordinal + 1; kind := 'problem';
            description := format('%I is %s, not uuid: protect needs a uuid tenant column', child.col, child.col_type);
            RETURN NEXT;
            CONTINUE;
        END IF;
        IF NOT child.attnotnull THEN
            ordinal := ordinal + 1; kind := 'note';
            description := format('%I allows NULL: protect hides those rows unless called with shared_nulls => true', child.col);
            RETURN NEXT;
        END IF;
        IF child.relkind = 'p' THEN
            ordinal := ordinal + 1; kind := 'note';
            description := 'partitioned: protect adds the policies to every partition too; run it again after adding partitions';
            RETURN NEXT;
        END IF;
        IF NOT child.has_permissive THEN
            ordinal := ordinal + 1; kind := 'note';
            description := 'no permissive policy: protect warns and adds org_rls_access, which opens the current organization''s rows to every role with privileges on the table';
            RETURN NEXT;
        END IF;
        ordinal := ordinal + 1;
        kind := CASE WHEN EXISTS (SELECT FROM @extschema@.protected_tables p WHERE p.relation = child.rel)
                     THEN 'done' ELSE 'step' END;
        description := format('SELECT org_rls.protect(%L, %L);', child.rel::text, child.col);
        RETURN NEXT;
    END LOOP;
    ordinal := ordinal + 1; object := format('%I.%I', schema_name, CASE WHEN renamed THEN (SELECT relname FROM pg_class WHERE oid = source) ELSE new_name END);
    kind := CASE WHEN EXISTS (SELECT FROM @extschema@.protected_tables p WHERE p.relation = source)
                 THEN 'done' ELSE 'step' END;
    description := format('SELECT org_rls.protect(%L);  -- filtered by organization_id', object);
    RETURN NEXT;

    -- Objects that name the old table.
    FOR child IN
        SELECT f.oid::regprocedure AS fn FROM pg_proc f
         WHERE f.prosrc ~ ('\m' || (SELECT relname FROM pg_class WHERE oid = tenants) || '\M')
           AND f.prolang IN (SELECT l.oid FROM pg_language l WHERE l.lanname IN ('sql', 'plpgsql'))
           AND f.pronamespace <> '@extschema@'::regnamespace
         ORDER BY f.oid::regprocedure::text
    LOOP
        ordinal := ordinal + 1; object := child.fn::text;
        IF (SELECT f.prosrc FROM pg_proc f WHERE f.oid = child.fn)
               ~* ('truncate[^;]*\m' || (SELECT relname FROM pg_class WHERE oid = tenants) || '\M') THEN
            kind := 'problem';
            description := format('its body truncates %s by name: TRUNCATE fails on the compatibility view after the rename', tenants);
        ELSE
            kind := 'note';
            description := format('its body names %s as text: after the rename it reads and writes through the compatibility view', tenants);
        END IF;
        RETURN NEXT;
    END LOOP;
    FOR child IN
        SELECT DISTINCT r.ev_class::regclass AS view, r.ev_class::regclass::text AS sort_key
          FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
         WHERE d.refobjid = source AND r.ev_class <> source AND r.ev_class <> tenants
         ORDER BY sort_key
    LOOP
        ordinal := ordinal + 1; kind := 'note'; object := child.view::text;
        description := 'refers to the table itself, not its name: it follows the rename';
        RETURN NEXT;
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION plan_migration(regclass, name, name) IS
    'Lists, without changing anything, the steps of the migration (done or to do) and every problem it would hit.';
REVOKE EXECUTE ON FUNCTION plan_migration(regclass, name, name) FROM PUBLIC;
