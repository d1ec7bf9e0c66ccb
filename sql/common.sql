-- Internal helpers shared by the migration functions. They are not part of
-- the interface and may change between versions.

-- Returns the attached assistants table, or raises when there is none.
CREATE FUNCTION _attached() RETURNS @extschema@.assistants_table
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    attached @extschema@.assistants_table;
BEGIN
    SELECT * INTO attached FROM @extschema@.assistants_table;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no assistants table is attached'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Run org_rls.attach_assistants() first.';
    END IF;
    RETURN attached;
END
$fn$;
COMMENT ON FUNCTION _attached() IS
    'Internal: returns the row of org_rls.assistants_table, or raises 55000 when no table is attached.';

-- Raises unless rel is a plain or partitioned table.
CREATE FUNCTION _require_table(rel regclass, argument text) RETURNS void
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

-- Returns the type of a column, or raises when the column does not exist.
CREATE FUNCTION _column_type(rel regclass, column_name name) RETURNS regtype
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

-- Returns the number of assistants whose organization_id is NULL.
CREATE FUNCTION _count_unassigned(attached @extschema@.assistants_table) RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    missing bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s WHERE organization_id IS NULL', attached.relation)
       INTO missing;
    RETURN missing;
END
$fn$;
COMMENT ON FUNCTION _count_unassigned(@extschema@.assistants_table) IS
    'Internal: counts the assistants that have no organization yet.';

-- Locks rel in lock_mode, waiting at most org_rls.lock_timeout. Each DDL
-- step takes its strongest lock first through this function, so that it
-- fails before changing anything instead of queueing behind a long query
-- (and making every later query queue behind it).
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
REVOKE EXECUTE ON FUNCTION _attached(), _require_table(regclass, text),
    _column_type(regclass, name), _count_unassigned(@extschema@.assistants_table) FROM PUBLIC;
