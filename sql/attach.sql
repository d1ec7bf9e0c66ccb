-- Step 2 of the migration: give the assistants table an organization_id
-- column and foreign key. Step 4 (finalize_assistants) makes it mandatory.

-- Returns the single uuid primary key column of rel, or raises.
CREATE FUNCTION _uuid_primary_key(rel regclass) RETURNS name
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    key_column name;
    key_type   regtype;
BEGIN
    SELECT a.attname, a.atttypid INTO key_column, key_type
      FROM pg_index i
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
     WHERE i.indrelid = rel AND i.indisprimary AND i.indnkeyatts = 1;
    IF NOT FOUND OR key_type <> 'uuid'::regtype THEN
        RAISE EXCEPTION 'table % has no single-column uuid primary key', rel
            USING ERRCODE = 'invalid_table_definition',
                  DETAIL = 'The tenant columns of other tables hold assistant ids, and org_rls compares them as uuid.',
                  HINT = 'Attach the table that holds one row per assistant, keyed by a uuid.';
    END IF;
    RETURN key_column;
END
$fn$;
COMMENT ON FUNCTION _uuid_primary_key(regclass) IS
    'Internal: returns the single uuid primary key column of a table, or raises 42P16.';
REVOKE EXECUTE ON FUNCTION _uuid_primary_key(regclass) FROM PUBLIC;

-- Trigger on the attached table: increments the membership version of each
-- organization an assistant joins or leaves, so that every backend treats
-- its kept assistant ids for that organization as stale. Organizations
-- written by the current transaction are skipped, because no backend keeps
-- a set for a version that is not yet committed. SECURITY DEFINER, because
-- the roles that write assistants may not update organizations.
CREATE FUNCTION _assistants_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE @extschema@.organizations o SET assistants_version = o.assistants_version + 1;
    ELSIF TG_OP = 'UPDATE' THEN
        -- Only rows whose (organization, id) pair changed move membership;
        -- TG_ARGV[0] names the id column.
        EXECUTE format($sql$
            UPDATE @extschema@.organizations o SET assistants_version = o.assistants_version + 1
             WHERE o.id IN (SELECT changed.organization_id
                              FROM ((SELECT organization_id, %1$I FROM old_rows
                                     EXCEPT SELECT organization_id, %1$I FROM changed_rows)
                                    UNION
                                    (SELECT organization_id, %1$I FROM changed_rows
                                     EXCEPT SELECT organization_id, %1$I FROM old_rows)) AS changed)
               AND o.xmin OPERATOR(pg_catalog.<>) pg_current_xact_id()::xid
            $sql$, TG_ARGV[0]);
    ELSE
        UPDATE @extschema@.organizations o SET assistants_version = o.assistants_version + 1
         WHERE o.id IN (SELECT r.organization_id FROM changed_rows r)
           AND o.xmin OPERATOR(pg_catalog.<>) pg_current_xact_id()::xid;
    END IF;
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION _assistants_changed() IS
    'Internal: trigger on the assistants table that increments the membership version of the organizations an assistant joins or leaves.';
REVOKE EXECUTE ON FUNCTION _assistants_changed() FROM PUBLIC;

-- Trigger on the attached table, before each statement that writes it:
-- marks the current transaction as one that writes assistants, for the
-- helpers of this backend (src/own_writes.rs). Until the transaction ends
-- they look the organization up again at each command.
CREATE FUNCTION _assistants_writing() RETURNS trigger
LANGUAGE c
AS 'MODULE_PATHNAME', 'assistants_writing_wrapper';
COMMENT ON FUNCTION _assistants_writing() IS
    'Internal: trigger on the assistants table that marks the current transaction as one that writes assistants.';
REVOKE EXECUTE ON FUNCTION _assistants_writing() FROM PUBLIC;

-- The triggers that _create_membership_triggers creates.
CREATE FUNCTION _membership_trigger_names() RETURNS name[]
LANGUAGE sql IMMUTABLE
RETURN ARRAY['org_rls_membership_writing', 'org_rls_membership_insert', 'org_rls_membership_update',
             'org_rls_membership_delete', 'org_rls_membership_truncate']::name[];
COMMENT ON FUNCTION _membership_trigger_names() IS
    'Internal: the names of the triggers that org_rls puts on the assistants table.';
REVOKE EXECUTE ON FUNCTION _membership_trigger_names() FROM PUBLIC;

-- Creates the triggers of _assistants_writing and _assistants_changed on
-- rel, replacing earlier ones. ENABLE ALWAYS, because the backfill and
-- restores write with session_replication_role = replica.
CREATE FUNCTION _create_membership_triggers(rel regclass, id_column name) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    trigger_name name;
BEGIN
    PERFORM @extschema@._drop_membership_triggers(rel);
    EXECUTE format('CREATE TRIGGER org_rls_membership_writing BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._assistants_writing()', rel);
    EXECUTE format('CREATE TRIGGER org_rls_membership_insert AFTER INSERT ON %s '
                   'REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT '
                   'EXECUTE FUNCTION @extschema@._assistants_changed()', rel);
    EXECUTE format('CREATE TRIGGER org_rls_membership_update AFTER UPDATE ON %s '
                   'REFERENCING OLD TABLE AS old_rows NEW TABLE AS changed_rows FOR EACH STATEMENT '
                   'EXECUTE FUNCTION @extschema@._assistants_changed(%L)', rel, id_column);
    EXECUTE format('CREATE TRIGGER org_rls_membership_delete AFTER DELETE ON %s '
                   'REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT '
                   'EXECUTE FUNCTION @extschema@._assistants_changed()', rel);
    EXECUTE format('CREATE TRIGGER org_rls_membership_truncate AFTER TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._assistants_changed()', rel);
    FOREACH trigger_name IN ARRAY @extschema@._membership_trigger_names() LOOP
        EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', rel, trigger_name);
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION _create_membership_triggers(regclass, name) IS
    'Internal: creates the triggers on the assistants table that mark transactions writing it and keep organizations.assistants_version current.';
REVOKE EXECUTE ON FUNCTION _create_membership_triggers(regclass, name) FROM PUBLIC;

CREATE FUNCTION _drop_membership_triggers(rel regclass) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    trigger_name name;
BEGIN
    FOR trigger_name IN
        SELECT tg.tgname FROM pg_trigger tg
         WHERE tg.tgrelid = rel AND tg.tgname = ANY (@extschema@._membership_trigger_names())
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', trigger_name, rel);
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION _drop_membership_triggers(regclass) IS
    'Internal: drops the triggers that _create_membership_triggers created.';
REVOKE EXECUTE ON FUNCTION _drop_membership_triggers(regclass) FROM PUBLIC;

CREATE FUNCTION attach_assistants(
    assistants  regclass DEFAULT 'public.assistants'::text::regclass,
    name_column name     DEFAULT 'name'
) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    key_column    name;
    attached      regclass := (SELECT t.relation FROM @extschema@.assistants_table t);
    org_type      regtype;
    org_default   boolean;
    table_name    name;
BEGIN
    PERFORM @extschema@._require_table(assistants, 'assistants');
    PERFORM @extschema@._column_type(assistants, name_column);
    key_column := @extschema@._uuid_primary_key(assistants);

    IF attached IS NOT NULL AND attached <> assistants THEN
        RAISE EXCEPTION 'another assistants table is already attached: %', attached
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'org_rls supports one assistants table per database.';
    END IF;
    PERFORM @extschema@._lock(assistants, 'ACCESS EXCLUSIVE');

    SELECT a.atttypid, a.atthasdef INTO org_type, org_default
      FROM pg_attribute a
     WHERE a.attrelid = assistants AND a.attname = 'organization_id'
       AND a.attnum > 0 AND NOT a.attisdropped;
    IF org_type <> 'uuid'::regtype THEN
        RAISE EXCEPTION 'column "organization_id" of relation % has type %, not uuid',
                        assistants, org_type
            USING ERRCODE = 'datatype_mismatch',
                  HINT = 'Rename or drop that column, then attach again.';
    END IF;

    -- The default is set in a second step: a non-volatile default given in
    -- ADD COLUMN would be evaluated once and written into every existing row.
    IF org_type IS NULL THEN
        EXECUTE format('ALTER TABLE %s ADD COLUMN organization_id uuid', assistants);
    END IF;
    IF NOT coalesce(org_default, false) THEN
        EXECUTE format('ALTER TABLE %s ALTER COLUMN organization_id SET DEFAULT @extschema@.organization_id()',
                       assistants);
    END IF;
    EXECUTE format('COMMENT ON COLUMN %s.organization_id IS %L', assistants,
                   'Organization that owns this assistant. Added by org_rls.attach_assistants.');

    IF NOT EXISTS (
        SELECT FROM pg_constraint con
         WHERE con.conrelid = assistants AND con.contype = 'f'
           AND con.confrelid = '@extschema@.organizations'::regclass
           AND con.conkey = ARRAY[(SELECT a.attnum FROM pg_attribute a
                                    WHERE a.attrelid = assistants AND a.attname = 'organization_id')]) THEN
        PERFORM @extschema@._lock('@extschema@.organizations', 'SHARE ROW EXCLUSIVE');
        table_name := (SELECT c.relname FROM pg_class c WHERE c.oid = assistants);
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I FOREIGN KEY (organization_id) '
                       'REFERENCES @extschema@.organizations (id) ON DELETE RESTRICT NOT VALID',
                       assistants, left(table_name || '_organization_id_fkey', 63));
    END IF;

    IF NOT EXISTS (
        SELECT FROM pg_index i JOIN pg_attribute a
            ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
         WHERE i.indrelid = assistants AND a.attname = 'organization_id') THEN
        EXECUTE format('CREATE INDEX ON %s (organization_id)', assistants);
    END IF;

    PERFORM @extschema@._create_membership_triggers(assistants, key_column);

    INSERT INTO @extschema@.assistants_table (relation, id_column, name_column)
    VALUES (assistants, key_column, name_column)
    ON CONFLICT (singleton) DO UPDATE
       SET id_column = EXCLUDED.id_column, name_column = EXCLUDED.name_column;
END
$fn$;
COMMENT ON FUNCTION attach_assistants(regclass, name) IS
    'Adds organization_id (with a NOT VALID foreign key to org_rls.organizations and an index) and the membership triggers to the assistants table, and records the table. Idempotent.';
REVOKE EXECUTE ON FUNCTION attach_assistants(regclass, name) FROM PUBLIC;

-- The way back from attach_assistants, for a table attached by mistake or
-- before org_rls is removed: possible only while nothing depends on it.
CREATE FUNCTION detach_assistants() RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    attached        @extschema@.assistants_table := @extschema@._attached();
    assigned        bigint;
    constraint_name name;
BEGIN
    IF EXISTS (SELECT FROM @extschema@.protected_tables) THEN
        RAISE EXCEPTION 'tables are still protected by org_rls'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Protected: %s.', (SELECT string_agg(p.relation::text, ', ' ORDER BY p.relation::text)
                                                       FROM @extschema@.protected_tables p)),
                  HINT = 'Run org_rls.unprotect() on each of them first.';
    END IF;
    EXECUTE format('SELECT count(*) FROM %s WHERE organization_id IS NOT NULL', attached.relation)
       INTO assigned;
    IF assigned > 0 THEN
        RAISE EXCEPTION '% assistants in % have an organization', assigned, attached.relation
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'Detaching drops the organization_id column, which would lose those assignments.',
                  HINT = 'Keep the table attached, or set organization_id to NULL first if the assignments are to go.';
    END IF;

    PERFORM @extschema@._lock(attached.relation, 'ACCESS EXCLUSIVE');
    FOR constraint_name IN
        SELECT con.conname FROM pg_constraint con
         WHERE con.conrelid = attached.relation AND con.contype = 'f'
           AND con.confrelid = '@extschema@.organizations'::regclass
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', attached.relation, constraint_name);
    END LOOP;
    PERFORM @extschema@._drop_membership_triggers(attached.relation);
    -- Dropping the column drops its default and its index too.
    EXECUTE format('ALTER TABLE %s DROP COLUMN organization_id', attached.relation);
    DELETE FROM @extschema@.assistants_table;
END
$fn$;
COMMENT ON FUNCTION detach_assistants() IS
    'Removes what attach_assistants added (the organization_id column with its foreign key, default and index, and the membership triggers) while no assistant has an organization and no table is protected.';
REVOKE EXECUTE ON FUNCTION detach_assistants() FROM PUBLIC;

CREATE FUNCTION finalize_assistants() RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    attached   @extschema@.assistants_table := @extschema@._attached();
    missing    bigint := @extschema@._count_unassigned(attached);
    constraint_name name;
    proof_name constant name := 'org_rls_organization_id_not_null';
BEGIN
    IF missing > 0 THEN
        RAISE EXCEPTION '% assistants in % have no organization', missing, attached.relation
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'organization_id cannot be made NOT NULL while NULL values remain.',
                  HINT = 'Run CALL org_rls.backfill() first.';
    END IF;

    -- Validating a foreign key takes only SHARE UPDATE EXCLUSIVE: reads and
    -- writes of the assistants table go on during the scan.
    PERFORM @extschema@._lock(attached.relation, 'SHARE UPDATE EXCLUSIVE');
    FOR constraint_name IN
        SELECT con.conname FROM pg_constraint con
         WHERE con.conrelid = attached.relation AND con.contype = 'f'
           AND con.confrelid = '@extschema@.organizations'::regclass AND NOT con.convalidated
    LOOP
        EXECUTE format('ALTER TABLE %s VALIDATE CONSTRAINT %I', attached.relation, constraint_name);
    END LOOP;

    -- SET NOT NULL skips its own table scan when a valid CHECK constraint
    -- proves the column has no NULL values.
    -- NOTE: all steps run in one transaction, so the ACCESS EXCLUSIVE lock
    -- taken by ADD CONSTRAINT is held during the one scan that validates it.
    IF NOT (SELECT a.attnotnull FROM pg_attribute a
             WHERE a.attrelid = attached.relation AND a.attname = 'organization_id') THEN
        PERFORM @extschema@._lock(attached.relation, 'ACCESS EXCLUSIVE');
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I CHECK (organization_id IS NOT NULL) NOT VALID',
                       attached.relation, proof_name);
        EXECUTE format('ALTER TABLE %s VALIDATE CONSTRAINT %I', attached.relation, proof_name);
        EXECUTE format('ALTER TABLE %s ALTER COLUMN organization_id SET NOT NULL', attached.relation);
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', attached.relation, proof_name);
    END IF;
END
$fn$;
COMMENT ON FUNCTION finalize_assistants() IS
    'Validates the organization foreign key and makes assistants.organization_id NOT NULL; raises while assistants without an organization remain.';
REVOKE EXECUTE ON FUNCTION finalize_assistants() FROM PUBLIC;
