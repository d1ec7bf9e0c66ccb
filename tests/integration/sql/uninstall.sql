-- Removes org_rls from the current database and keeps every assistant and
-- every row of application data. Run as a superuser. The steps run in one
-- transaction, so a step that fails leaves the database as it was.
SET client_min_messages = warning;
BEGIN;

-- 1. Keep the organizations: copy them into a table of the application, so
--    that assistants.organization_id keeps referencing rows that exist.
CREATE TABLE public.organizations (LIKE org_rls.organizations INCLUDING DEFAULTS INCLUDING INDEXES);
INSERT INTO public.organizations SELECT * FROM org_rls.organizations;

-- 2. Remove the policies that protect added, and row-level security where
--    protect enabled it. The application's own policies stay. A partition
--    recorded under its parent is done with the parent, and its own call
--    then only raises a NOTICE.
SELECT org_rls.unprotect(relation) FROM org_rls.protected_tables;

-- 3. Drop every foreign key to org_rls.organizations and reference the copy
--    instead, drop the column default that calls org_rls.organization_id(),
--    and allow NULL. Nothing fills the column any more, and the view
--    tenants does not show it.
SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname)
  FROM pg_constraint
 WHERE contype = 'f' AND confrelid = 'org_rls.organizations'::regclass \gexec
ALTER TABLE public.assistants
    ADD CONSTRAINT assistants_organization_id_fkey
        FOREIGN KEY (organization_id) REFERENCES public.organizations (id) ON DELETE RESTRICT,
    ALTER COLUMN organization_id DROP DEFAULT,
    ALTER COLUMN organization_id DROP NOT NULL;

-- 4. Drop the triggers that count membership changes on the assistants
--    table; they call a function of the extension.
SELECT format('DROP TRIGGER %I ON %s', tgname, tgrelid::regclass)
  FROM pg_trigger
 WHERE tgname LIKE 'org_rls\_membership\_%' \gexec

--    The view tenants does not depend on the extension and stays while
--    code uses the old name.

-- 5. The setting names a parameter of org_rls, which no longer exists.
SELECT format('ALTER DATABASE %I RESET org_rls.legacy_tenant_setting', current_database()) \gexec

-- 6. Nothing depends on the extension any more, so no CASCADE is needed.
DROP EXTENSION org_rls;

-- 7. CREATE EXTENSION created the schema org_rls because the control file
--    names it, but the schema is no member of the extension and outlives
--    it. Without CASCADE, this fails if anything is left in it.
DROP SCHEMA org_rls;

COMMIT;
