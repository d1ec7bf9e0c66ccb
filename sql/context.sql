-- Comments and grants for the functions written in Rust, and the policy on
-- the organizations table that uses them.

COMMENT ON FUNCTION organization_id() IS
    'Returns the current organization: org_rls.organization_id (set by org_rls.use_organization), else the org_rls.jwt_claim claim of request.jwt.claims, else the organization of the assistant named by the setting org_rls.legacy_tenant_setting names; NULL when none is set.';
COMMENT ON FUNCTION use_organization(uuid) IS
    'Sets the current organization until the end of the current transaction; NULL clears it. Returns its argument.';
COMMENT ON FUNCTION assistant_ids() IS
    'Returns the ids of the current organization''s assistants, sorted; empty when there is no current organization.';
GRANT EXECUTE ON FUNCTION organization_id(), use_organization(uuid), assistant_ids() TO PUBLIC;
-- The planner may turn in_organization(column) into the index condition
-- column = ANY (assistant_ids()); see src/planner_support.rs.
ALTER FUNCTION in_organization(uuid) SUPPORT _in_organization_support;
COMMENT ON FUNCTION in_organization(uuid) IS
    'Returns true when the assistant belongs to the current organization; the per-row test of org_rls''s policies.';
GRANT EXECUTE ON FUNCTION in_organization(uuid) TO PUBLIC;
COMMENT ON FUNCTION _in_organization_support(internal) IS
    'Internal: planner support for in_organization: an index condition on the tenant column and a row estimate.';
REVOKE EXECUTE ON FUNCTION _in_organization_support(internal) FROM PUBLIC;
COMMENT ON FUNCTION _lock_timeout_ms() IS
    'Internal: returns org_rls.lock_timeout in milliseconds, loading the library that defines it.';
REVOKE EXECUTE ON FUNCTION _lock_timeout_ms() FROM PUBLIC;
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

COMMENT ON FUNCTION _reject_transaction_block(text) IS
    'Internal: raises 25001 when called inside a transaction block.';
REVOKE EXECUTE ON FUNCTION _reject_transaction_block(text) FROM PUBLIC;

-- A role subject to row-level security sees only the current organization.
-- Superusers, the table owner and BYPASSRLS roles see every row, as always.
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;

CREATE POLICY organizations_current ON organizations
    FOR SELECT
    USING (id OPERATOR(pg_catalog.=) (SELECT @extschema@.organization_id()));
COMMENT ON POLICY organizations_current ON organizations IS
    'Shows only the current organization (org_rls.organization_id()) to roles subject to row-level security.';

GRANT SELECT ON organizations TO PUBLIC;
