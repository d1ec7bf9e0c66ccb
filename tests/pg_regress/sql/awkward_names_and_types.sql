-- The migration on a quoted, mixed-case schema with camelCase columns and a domain over uuid; a text tenant column is rejected before any change; NULL tenants are hidden unless declared shared.
BEGIN;
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on
CREATE EXTENSION org_rls;
CREATE ROLE org_rls_crm_user;
CREATE SCHEMA "Crm";
GRANT USAGE ON SCHEMA "Crm" TO org_rls_crm_user;
CREATE DOMAIN "Crm".bot_id AS uuid;
CREATE TABLE "Crm"."Tenant Bots" ("botId" uuid PRIMARY KEY, "displayName" text);
CREATE TABLE "Crm"."chatLogs" (id bigint PRIMARY KEY, "botRef" "Crm".bot_id NOT NULL
                               REFERENCES "Crm"."Tenant Bots", body text);
-- Shared rows have no bot; this table has no foreign key at all.
CREATE TABLE "Crm"."faqEntries" (id bigint PRIMARY KEY, "botRef" uuid, question text);
CREATE TABLE "Crm"."legacyNotes" (id bigint PRIMARY KEY, "botRef" text);
GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA "Crm" TO org_rls_crm_user;
INSERT INTO "Crm"."Tenant Bots" VALUES
    ('00000000-0000-4000-8000-0000000000a1', 'Alpha'),
    ('00000000-0000-4000-8000-0000000000b1', '  '),
    ('00000000-0000-4000-8000-0000000000c1', NULL);
INSERT INTO "Crm"."chatLogs" VALUES
    (1, '00000000-0000-4000-8000-0000000000a1', 'a'), (2, '00000000-0000-4000-8000-0000000000b1', 'b'),
    (3, '00000000-0000-4000-8000-0000000000c1', 'c');
INSERT INTO "Crm"."faqEntries" VALUES
    (1, '00000000-0000-4000-8000-0000000000a1', 'alpha only'), (2, NULL, 'shared'),
    (3, '00000000-0000-4000-8000-0000000000b1', 'bravo only');
INSERT INTO "Crm"."legacyNotes" VALUES (1, '00000000-0000-4000-8000-0000000000A1');

SELECT org_rls.rename_tenants('"Crm"."Tenant Bots"', 'Assistant Bots');
SELECT org_rls.attach_assistants('"Crm"."Assistant Bots"', 'displayName');
SELECT org_rls.backfill_batch(10) AS assigned;
SELECT org_rls.finalize_assistants();
SELECT b."displayName", o.name AS organization
  FROM "Crm"."Assistant Bots" b JOIN org_rls.organizations o ON o.id = b.organization_id
 ORDER BY b."botId";

-- A text tenant column: a clear error, and the table is left as it was.
SELECT org_rls.protect('"Crm"."legacyNotes"', 'botRef');
SELECT relrowsecurity, (SELECT count(*) FROM pg_policy WHERE polrelid = c.oid) AS policies
  FROM pg_class c WHERE c.oid = '"Crm"."legacyNotes"'::regclass;

-- A domain over uuid is accepted.
SELECT org_rls.protect('"Crm"."chatLogs"', 'botRef');
SELECT org_rls.protect('"Crm"."Assistant Bots"');
-- A nullable tenant column: NULL rows are hidden by default.
SELECT org_rls.protect('"Crm"."faqEntries"', 'botRef');
SELECT relation, tenant_column, shared_nulls FROM org_rls.protected_tables ORDER BY relation::text;

SELECT organization_id AS org_a FROM "Crm"."Assistant Bots" WHERE "botId" = '00000000-0000-4000-8000-0000000000a1' \gset
SET LOCAL ROLE org_rls_crm_user;
SELECT org_rls.use_organization(:'org_a') IS NOT NULL AS context_set;
SELECT "displayName" FROM "Crm"."Assistant Bots";
SELECT id, body FROM "Crm"."chatLogs" ORDER BY id;
SELECT id, question FROM "Crm"."faqEntries" ORDER BY id;
RESET ROLE;

-- The legacy tenant setting finds the bot through the quoted id column.
SET LOCAL org_rls.legacy_tenant_setting = 'crm.bot';
SET LOCAL crm.bot = '00000000-0000-4000-8000-0000000000a1';
SELECT org_rls.use_organization(NULL) IS NULL AS explicit_context_cleared;
SELECT org_rls.organization_id() = :'org_a' AS organization_from_bot;

-- Declared shared: NULL rows become readable by every organization, never writable.
SELECT org_rls.unprotect('"Crm"."faqEntries"');
SELECT org_rls.protect('"Crm"."faqEntries"', 'botRef', shared_nulls => true);
SELECT pg_get_expr(polqual, polrelid) AS using_expression, pg_get_expr(polwithcheck, polrelid) AS check_expression
  FROM pg_policy WHERE polrelid = '"Crm"."faqEntries"'::regclass AND polname = 'org_rls_isolation';
SET LOCAL ROLE org_rls_crm_user;
SELECT org_rls.use_organization(:'org_a') IS NOT NULL AS context_set;
SELECT id, question FROM "Crm"."faqEntries" ORDER BY id;
INSERT INTO "Crm"."faqEntries" VALUES (4, NULL, 'new shared entry');
-- Shared rows cannot be changed, taken over by an organization or deleted;
-- the organization's own rows still can.
RESET ROLE;
GRANT UPDATE, DELETE ON "Crm"."faqEntries" TO org_rls_crm_user;
SET LOCAL ROLE org_rls_crm_user;
UPDATE "Crm"."faqEntries" SET question = 'changed' WHERE "botRef" IS NULL;
UPDATE "Crm"."faqEntries" SET "botRef" = '00000000-0000-4000-8000-0000000000a1' WHERE "botRef" IS NULL;
DELETE FROM "Crm"."faqEntries" WHERE "botRef" IS NULL;
UPDATE "Crm"."faqEntries" SET question = question || '?' WHERE "botRef" IS NOT NULL;
RESET ROLE;
SELECT id, "botRef", question FROM "Crm"."faqEntries" ORDER BY id;
SELECT polname, polcmd, polpermissive FROM pg_policy
 WHERE polrelid = '"Crm"."faqEntries"'::regclass ORDER BY polname;
SELECT component, relation, state, detail FROM org_rls.status() WHERE component = 'protected table';
-- A second protect keeps the first one's arguments, and its hint names unprotect.
SELECT org_rls.protect('"Crm"."faqEntries"', 'botRef');
SELECT org_rls.unprotect('"Crm"."faqEntries"');
SELECT count(*) AS policies_left FROM pg_policy WHERE polrelid = '"Crm"."faqEntries"'::regclass;
ROLLBACK;
