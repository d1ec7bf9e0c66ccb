-- Step 3 of the migration: give every assistant without an organization an
-- organization of its own, in batches that each commit.

CREATE FUNCTION _require_batch_size(batch_size integer) RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF batch_size IS NULL OR batch_size < 1 THEN
        RAISE EXCEPTION 'invalid batch size: %', coalesce(batch_size::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass a positive number of assistants per batch.';
    END IF;
END
$fn$;
COMMENT ON FUNCTION _require_batch_size(integer) IS
    'Internal: raises 22023 unless the batch size is a positive integer.';
REVOKE EXECUTE ON FUNCTION _require_batch_size(integer) FROM PUBLIC;

-- One statement creates the organizations and assigns them, so a batch is
-- all or nothing. FOR NO KEY UPDATE does not conflict with the FOR KEY SHARE
-- locks that foreign key checks of concurrent inserts into child tables take. ON CONFLICT reuses the organization that an earlier run
-- created for the same assistant, so a rerun creates no duplicates.
--
-- session_replication_role = replica, for this function only, keeps the
-- application's row triggers on the assistants table from firing: writing
-- organization_id must not bump updated_at columns or write audit rows the
-- application would see. It also skips foreign key checks, which is safe
-- because each organization is created in the same statement, and
-- finalize_assistants validates the foreign key over every row.
--
-- The batch is read through the organization_id index (IS NULL is an index
-- condition), so each batch reads only rows still without an organization.
-- The statistics say every row is NULL until the next ANALYZE, which would
-- make the planner pick a sequential scan that rereads every row assigned by
-- earlier batches; the SET clauses below rule that plan out.
CREATE FUNCTION backfill_batch(batch_size integer DEFAULT 1000) RETURNS bigint
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

-- A procedure, not a function, so that it can COMMIT after each batch. It
-- has no SET clause because a procedure with one cannot COMMIT.
CREATE PROCEDURE backfill(batch_size integer DEFAULT 1000)
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
