-- Steps 1 and 2 of the migration in the README: the extension, the rename
-- of tenants to assistants and the organization_id column. The backfill
-- runs separately because CALL org_rls.backfill commits after each batch.
SET client_min_messages = warning;
CREATE EXTENSION org_rls;
SELECT org_rls.rename_tenants();
SELECT org_rls.attach_assistants();
