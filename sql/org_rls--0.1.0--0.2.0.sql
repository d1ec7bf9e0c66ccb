-- org_rls 0.1.0 to 0.2.0. Released upgrade scripts are never edited: a
-- change after a release goes into the next version's script.
\echo Use "ALTER EXTENSION org_rls UPDATE TO '0.2.0'" to load this file. \quit

-- Error messages name relations without doubled quotes.
CREATE OR REPLACE FUNCTION _require_table(rel regclass, argument text) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    kind "char";
BEGIN
    IF rel IS NULL THEN
        RAISE EXCEPTION 'argument % must not be null', argument
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT c.relkind INTO kind FROM pg_class c WHERE c.oid = rel;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'relation with OID % does not exist', rel::oid
            USING ERRCODE = 'undefined_table';
    END IF;
    IF kind NOT IN ('r', 'p') THEN
        IF EXISTS (SELECT FROM @extschema@.compatibility_views v WHERE v.view = rel) THEN
            RAISE EXCEPTION '% is not a table', rel
                USING ERRCODE = 'wrong_object_type',
                      DETAIL = format('It is the compatibility view that org_rls.rename_tenants left over %s.',
                                      (SELECT v.relation FROM @extschema@.compatibility_views v WHERE v.view = rel)),
                      HINT = format('Pass %s as %s.',
                                    (SELECT v.relation FROM @extschema@.compatibility_views v WHERE v.view = rel), argument);
        END IF;
        RAISE EXCEPTION '% is not a table', rel
            USING ERRCODE = 'wrong_object_type',
                  DETAIL = format('It is a %s.', CASE kind
                      WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                      WHEN 'f' THEN 'foreign table' WHEN 'S' THEN 'sequence'
                      WHEN 'i' THEN 'index' WHEN 'I' THEN 'partitioned index'
                      WHEN 'c' THEN 'composite type' ELSE 'relation of kind ' || kind::text END),
                  HINT = format('Pass a plain or partitioned table as %s.', argument);
    END IF;
END
$fn$;
COMMENT ON FUNCTION _require_table(regclass, text) IS
    'Internal: raises 42809 unless the relation is a plain or partitioned table.';

CREATE OR REPLACE FUNCTION _column_type(rel regclass, column_name name) RETURNS regtype
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    found_type regtype;
BEGIN
    IF column_name IS NULL THEN
        RAISE EXCEPTION 'column name must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = format('Pass the name of a column of %s.', rel);
    END IF;
    SELECT a.atttypid INTO found_type
      FROM pg_attribute a
     WHERE a.attrelid = rel AND a.attname = column_name
       AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'column "%" of relation % does not exist', column_name, rel
            USING ERRCODE = 'undefined_column',
                  HINT = format('Pass one of its columns: %s.',
                                (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
                                   FROM pg_attribute a
                                  WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped));
    END IF;
    RETURN found_type;
END
$fn$;
COMMENT ON FUNCTION _column_type(regclass, name) IS
    'Internal: returns the type of a column, or raises 42703 when the table has no such column.';

CREATE OR REPLACE FUNCTION _uuid_primary_key(rel regclass) RETURNS name
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

-- Migration steps take their strongest lock first, waiting at most
-- org_rls.lock_timeout, and fail before changing anything when they cannot.
CREATE FUNCTION "_lock_timeout_ms"() RETURNS INT /* i32 */
STRICT STABLE 
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'lock_timeout_ms_wrapper';
COMMENT ON FUNCTION _lock_timeout_ms() IS
    'Internal: returns org_rls.lock_timeout in milliseconds, loading the library that defines it.';
REVOKE EXECUTE ON FUNCTION _lock_timeout_ms() FROM PUBLIC;
CREATE FUNCTION _lock(rel regclass, lock_mode text) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    saved_timeout text := current_setting('lock_timeout');
    -- Reading it through the library checks a value set before it was loaded.
    step_timeout  text := @extschema@._lock_timeout_ms() || 'ms';
BEGIN
    PERFORM set_config('lock_timeout', step_timeout, true);
    BEGIN
        EXECUTE format('LOCK TABLE %s IN %s MODE', rel, lock_mode);
    EXCEPTION WHEN lock_not_available THEN
        RAISE EXCEPTION 'could not lock table % in % mode within org_rls.lock_timeout (%)',
                        rel, lock_mode, step_timeout
            USING ERRCODE = 'lock_not_available',
                  DETAIL = 'Another session holds a conflicting lock on the table, or waits for one. Nothing was changed.',
                  HINT = 'Retry when that session ends; pg_blocking_pids() and pg_stat_activity show it. SET org_rls.lock_timeout to wait longer.';
    END;
    PERFORM set_config('lock_timeout', saved_timeout, true);
END
$fn$;
COMMENT ON FUNCTION _lock(regclass, text) IS
    'Internal: locks a table in the given mode, waiting at most org_rls.lock_timeout, and raises 55P03 with a hint when it cannot.';

REVOKE EXECUTE ON FUNCTION _lock(regclass, text) FROM PUBLIC;

-- Membership versions: triggers on the assistants table tell every backend
-- when an organization's assistant ids change, so they can be kept across
-- statements.
ALTER TABLE organizations ADD COLUMN assistants_version bigint NOT NULL DEFAULT 0;
COMMENT ON COLUMN organizations.assistants_version IS
    'Incremented by triggers on the assistants table whenever an assistant joins or leaves the organization; org_rls.assistant_ids() keeps an organization''s ids across statements while it is unchanged.';
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

CREATE OR REPLACE FUNCTION rename_tenants(
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

CREATE OR REPLACE FUNCTION attach_assistants(
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

CREATE OR REPLACE FUNCTION finalize_assistants() RETURNS void
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

-- A table attached with 0.1.0 gets the membership triggers now.
SELECT _create_membership_triggers(t.relation, t.id_column) FROM assistants_table t;

-- The way back from attach_assistants.
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

-- The backfill locks rows FOR NO KEY UPDATE, which does not block foreign key
-- checks of concurrent inserts into child tables.
CREATE OR REPLACE FUNCTION backfill_batch(batch_size integer DEFAULT 1000) RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET session_replication_role = replica
SET enable_seqscan = off
SET enable_bitmapscan = off
AS $fn$
DECLARE
    attached @extschema@.assistants_table;
    assigned bigint;
BEGIN
    PERFORM @extschema@._require_batch_size(batch_size);
    attached := @extschema@._attached();
    EXECUTE format($sql$
        WITH batch AS (
            SELECT a.%1$I AS assistant_id, a.%2$I::text AS assistant_name
              FROM %3$s a
             WHERE a.organization_id IS NULL
             LIMIT $1
               FOR NO KEY UPDATE OF a
        ), organization AS (
            INSERT INTO @extschema@.organizations (name, backfilled_from)
            SELECT coalesce(nullif(btrim(batch.assistant_name), ''),
                            'Organization of assistant ' || batch.assistant_id),
                   batch.assistant_id
              FROM batch
                ON CONFLICT (backfilled_from) DO UPDATE
               SET backfilled_from = EXCLUDED.backfilled_from
            RETURNING id, backfilled_from
        )
        UPDATE %3$s a
           SET organization_id = organization.id
          FROM organization
         WHERE a.%1$I = organization.backfilled_from
        $sql$, attached.id_column, attached.name_column, attached.relation)
    USING batch_size;
    GET DIAGNOSTICS assigned = ROW_COUNT;
    RETURN assigned;
END
$fn$;
COMMENT ON FUNCTION backfill_batch(integer) IS
    'Gives up to batch_size assistants without an organization one organization each, in the caller''s transaction; returns how many it assigned.';
REVOKE EXECUTE ON FUNCTION backfill_batch(integer) FROM PUBLIC;

-- backfill reports each batch's duration at DEBUG1.
CREATE OR REPLACE PROCEDURE backfill(batch_size integer DEFAULT 1000)
LANGUAGE plpgsql
AS $fn$
DECLARE
    assigned bigint;
    total    bigint := 0;
    batches  integer := 0;
    started  timestamptz;
BEGIN
    PERFORM @extschema@._reject_transaction_block('CALL org_rls.backfill()');
    PERFORM @extschema@._require_batch_size(batch_size);
    PERFORM @extschema@._attached();
    LOOP
        started := clock_timestamp();
        assigned := @extschema@.backfill_batch(batch_size);
        EXIT WHEN assigned = 0;
        COMMIT;
        batches := batches + 1;
        total := total + assigned;
        RAISE NOTICE 'backfill batch %: % assistants assigned, % so far', batches, assigned, total;
        -- How long the batch held its row locks, up to its commit.
        RAISE DEBUG 'backfill batch % took % ms', batches,
            round(extract(epoch FROM clock_timestamp() - started) * 1000, 3);
    END LOOP;
    RAISE NOTICE 'backfill finished: % assistants assigned in % batches, % still without an organization',
        total, batches, @extschema@._count_unassigned(@extschema@._attached());
END
$fn$;
COMMENT ON PROCEDURE backfill(integer) IS
    'Gives every assistant without an organization its own organization, committing after each batch. Resumable: a rerun continues where an interrupted run stopped.';
REVOKE EXECUTE ON PROCEDURE backfill(integer) FROM PUBLIC;

-- in_organization(): the per-row test of the policies, with a planner
-- support function that offers an index condition and a row estimate.
CREATE FUNCTION "_in_organization_support"(
	"request" internal /* Internal */
) RETURNS internal /* Internal */
IMMUTABLE PARALLEL SAFE 
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'in_organization_support_wrapper';
CREATE FUNCTION "in_organization"(
	"assistant_id" uuid /* Uuid */
) RETURNS bool /* bool */
STRICT STABLE PARALLEL SAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'in_organization_wrapper';
-- The planner may turn in_organization(column) into the index condition
-- column = ANY (assistant_ids()); see src/planner_support.rs.
ALTER FUNCTION in_organization(uuid) SUPPORT _in_organization_support;
COMMENT ON FUNCTION in_organization(uuid) IS
    'Returns true when the assistant belongs to the current organization; the per-row test of org_rls''s policies.';
GRANT EXECUTE ON FUNCTION in_organization(uuid) TO PUBLIC;
COMMENT ON FUNCTION _in_organization_support(internal) IS
    'Internal: planner support for in_organization: an index condition on the tenant column and a row estimate.';
REVOKE EXECUTE ON FUNCTION _in_organization_support(internal) FROM PUBLIC;

-- protect: domains over uuid, a choice for rows with a NULL tenant, and
-- partitions. The new parameter changes the signature.
ALTER TABLE protected_tables
    ADD COLUMN shared_nulls boolean NOT NULL DEFAULT false,
    ADD COLUMN parent       regclass;
COMMENT ON COLUMN protected_tables.shared_nulls IS
    'Whether rows with a NULL tenant column are readable by every organization (protect(..., shared_nulls => true)).';
COMMENT ON COLUMN protected_tables.parent IS
    'The partitioned table whose protect() call protected this partition; NULL for a table protected directly.';

DROP FUNCTION protect(regclass, name);
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

CREATE OR REPLACE FUNCTION unprotect(tbl regclass) RETURNS void
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

-- Tables protected with 0.1.0 compare the tenant column with the whole id
-- array in each row; their policies get the predicate of this version.
-- ALTER POLICY locks each table like protect() does.
DO $upgrade$
DECLARE
    recorded  record;
    predicate text;
BEGIN
    FOR recorded IN
        SELECT p.relation, p.tenant_column, p.added_permissive
          FROM @extschema@.protected_tables p
         WHERE NOT EXISTS (SELECT FROM @extschema@.assistants_table t WHERE t.relation = p.relation)
    LOOP
        predicate := @extschema@._organization_predicate(recorded.relation, recorded.tenant_column);
        EXECUTE format('ALTER POLICY org_rls_isolation ON %s USING (%s) WITH CHECK (%s)',
                       recorded.relation, predicate, predicate);
        IF recorded.added_permissive THEN
            EXECUTE format('ALTER POLICY org_rls_access ON %s USING (%s) WITH CHECK (%s)',
                           recorded.relation, predicate, predicate);
        END IF;
    END LOOP;
END
$upgrade$;

-- status lists unprotected partitions and functions that name a
-- compatibility view.
CREATE OR REPLACE FUNCTION status()
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

-- A dry run of the migration.
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

-- The helpers keep the attached table across statements, until a
-- trigger on assistants_table invalidates it in every backend.
CREATE FUNCTION "_invalidate_relcache"(
	"relation" oid /* pg_sys :: Oid */
) RETURNS void
STRICT VOLATILE 
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'invalidate_relcache_wrapper';
COMMENT ON FUNCTION _invalidate_relcache(oid) IS
    'Internal: sends a relcache invalidation of a relation to every backend at commit.';
REVOKE EXECUTE ON FUNCTION _invalidate_relcache(oid) FROM PUBLIC;

-- The helpers keep the attached table across statements. Every change to
-- assistants_table sends a relcache invalidation, so every backend reads it
-- again. ENABLE ALWAYS, because a restore or replication may write with
-- triggers disabled.
CREATE FUNCTION _assistants_table_changed() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    PERFORM @extschema@._invalidate_relcache(TG_RELID);
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION _assistants_table_changed() IS
    'Internal: trigger that makes every backend read org_rls.assistants_table again after a change.';
REVOKE EXECUTE ON FUNCTION _assistants_table_changed() FROM PUBLIC;
CREATE TRIGGER assistants_table_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON assistants_table
    FOR EACH STATEMENT EXECUTE FUNCTION _assistants_table_changed();
ALTER TABLE assistants_table ENABLE ALWAYS TRIGGER assistants_table_changed;

