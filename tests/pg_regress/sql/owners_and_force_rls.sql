-- A tenants table owned by a role that is not a superuser, with FORCE ROW LEVEL SECURITY and a SECURITY DEFINER function of that role that names it: the migration keeps the owner, the backfill assigns every row, and the function keeps working.
BEGIN;
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on
CREATE EXTENSION org_rls;
CREATE ROLE org_rls_app_owner;
CREATE ROLE org_rls_app_reader;
CREATE SCHEMA app AUTHORIZATION org_rls_app_owner;
GRANT USAGE ON SCHEMA app TO org_rls_app_reader;
SET LOCAL ROLE org_rls_app_owner;
CREATE TABLE app.tenants (id uuid PRIMARY KEY, name text NOT NULL);
INSERT INTO app.tenants
    SELECT ('00000000-0000-4000-8000-00000000000' || n)::uuid, 'bot ' || n FROM generate_series(1, 4) AS n;
ALTER TABLE app.tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.tenants FORCE ROW LEVEL SECURITY;
-- The owner itself sees only the tenant named in app.tenant.
CREATE POLICY by_setting ON app.tenants
    USING (id = nullif(current_setting('app.tenant', true), '')::uuid);
SELECT count(*) AS visible_to_owner_without_tenant FROM app.tenants;
CREATE FUNCTION app.tenant_count() RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = app, pg_temp
AS $$ SELECT count(*) FROM tenants $$;
GRANT EXECUTE ON FUNCTION app.tenant_count() TO org_rls_app_reader;
GRANT SELECT ON app.tenants TO org_rls_app_reader;
RESET ROLE;
SELECT count(*) AS visible_to_superuser FROM app.tenants;

SELECT org_rls.rename_tenants('app.tenants');
SELECT relname, relkind, pg_get_userbyid(relowner) AS owner FROM pg_class
 WHERE relnamespace = 'app'::regnamespace AND relname IN ('tenants', 'assistants') ORDER BY relname;
SELECT org_rls.attach_assistants('app.assistants');

-- A backfill run by a role that is not a superuser fails at once, changing nothing.
GRANT EXECUTE ON FUNCTION org_rls.backfill_batch(integer) TO org_rls_app_owner;
SET LOCAL ROLE org_rls_app_owner;
SELECT org_rls.backfill_batch(10);
RESET ROLE;
SELECT count(*) AS organizations FROM org_rls.organizations;

-- As a superuser, FORCE ROW LEVEL SECURITY does not hide rows from the backfill.
SELECT org_rls.backfill_batch(10) AS assigned;
SELECT count(*) FILTER (WHERE organization_id IS NULL) AS without_organization FROM app.assistants;
SELECT org_rls.finalize_assistants();
SELECT org_rls.protect('app.assistants');

-- The definer function reads through the view with its owner's rights and policies.
SET LOCAL ROLE org_rls_app_reader;
SELECT set_config('app.tenant', '00000000-0000-4000-8000-000000000002', true) IS NOT NULL AS tenant_set;
SELECT org_rls.use_organization(NULL) IS NULL AS no_organization;
SELECT app.tenant_count() AS visible_to_owner_without_organization;
SELECT count(*) AS visible_to_reader_without_organization FROM app.tenants;
RESET ROLE;
SET LOCAL org_rls.legacy_tenant_setting = 'app.tenant';
SET LOCAL ROLE org_rls_app_reader;
SELECT app.tenant_count() AS visible_to_owner, (SELECT name FROM app.tenants) AS visible_to_reader;
RESET ROLE;
ROLLBACK;
