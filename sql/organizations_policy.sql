-- A role subject to row-level security sees only the current organization.
-- Superusers, the table owner and BYPASSRLS roles see every row, as always.
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;

CREATE POLICY organizations_current ON organizations
    FOR SELECT
    USING (id OPERATOR(pg_catalog.=) (SELECT @extschema@.organization_id()));
COMMENT ON POLICY organizations_current ON organizations IS
    'Shows only the current organization (org_rls.organization_id()) to roles subject to row-level security.';

GRANT SELECT ON organizations TO PUBLIC;
