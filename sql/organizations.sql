-- Tables owned by org_rls: the organizations, and the bookkeeping of the
-- migration (which table holds the assistants, which view replaced the old
-- table name, which tables carry org_rls policies).
--
-- Every table here is registered with pg_extension_config_dump, so pg_dump
-- writes its rows; without that, a dump would restore empty tables.

CREATE TABLE organizations (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name            text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    backfilled_from uuid        UNIQUE,
    assistants_version bigint   NOT NULL DEFAULT 0
);
COMMENT ON TABLE organizations IS
    'Organizations: the tenants above the assistants. Rows survive pg_dump.';
COMMENT ON COLUMN organizations.assistants_version IS
    'Incremented by triggers on the assistants table whenever an assistant joins or leaves the organization; org_rls.assistant_ids() keeps an organization''s ids across statements while it is unchanged.';
COMMENT ON COLUMN organizations.backfilled_from IS
    'Id of the assistant that org_rls.backfill created this organization for; NULL for organizations created otherwise. The unique key makes the backfill idempotent.';

CREATE TABLE assistants_table (
    singleton   boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    relation    regclass    NOT NULL,
    id_column   name        NOT NULL,
    name_column name        NOT NULL,
    attached_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE assistants_table IS
    'The table that holds one row per assistant, recorded by org_rls.attach_assistants (at most one row).';

CREATE TABLE compatibility_views (
    view       regclass    PRIMARY KEY,
    relation   regclass    NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE compatibility_views IS
    'Views that org_rls.rename_tenants left under the old table name.';

CREATE TABLE protected_tables (
    relation         regclass    PRIMARY KEY,
    tenant_column    name,
    enabled_rls      boolean     NOT NULL,
    added_permissive boolean     NOT NULL,
    protected_at     timestamptz NOT NULL DEFAULT now(),
    shared_nulls     boolean     NOT NULL DEFAULT false,
    parent           regclass
);
COMMENT ON TABLE protected_tables IS
    'Tables that org_rls.protect gave policies, and what it changed there, so that org_rls.unprotect removes exactly that.';
COMMENT ON COLUMN protected_tables.tenant_column IS
    'Column compared with the organization''s assistant ids; NULL for the assistants table, which is filtered by organization_id.';
COMMENT ON COLUMN protected_tables.shared_nulls IS
    'Whether rows with a NULL tenant column are readable by every organization (protect(..., shared_nulls => true)).';
COMMENT ON COLUMN protected_tables.parent IS
    'The partitioned table whose protect() call protected this partition; NULL for a table protected directly.';

SELECT pg_catalog.pg_extension_config_dump('organizations', '');
SELECT pg_catalog.pg_extension_config_dump('assistants_table', '');
SELECT pg_catalog.pg_extension_config_dump('compatibility_views', '');
SELECT pg_catalog.pg_extension_config_dump('protected_tables', '');

GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;
-- The helpers read the attached table's name as the calling role.
GRANT SELECT ON assistants_table TO PUBLIC;
