-- The organization context: unset, empty, invalid, each source in order, and use_organization not leaking into the next transaction.
\set SHOW_CONTEXT never
CREATE EXTENSION org_rls;
CREATE ROLE org_rls_context_user;

-- Unset and empty mean no organization, and no assistant ids.
SELECT org_rls.organization_id() IS NULL AS unset, org_rls.assistant_ids() AS ids;
SET org_rls.organization_id = '';
SET request.jwt.claims = '';
SELECT org_rls.organization_id() IS NULL AS empty, org_rls.assistant_ids() AS ids;

-- Invalid values name the setting and raise 22023.
SET org_rls.organization_id = 'acme';
SELECT org_rls.organization_id();
RESET org_rls.organization_id;
SET request.jwt.claims = '{"org_id": "acme"}';
SELECT org_rls.organization_id();
SET request.jwt.claims = '{"org_id": 7}';
SELECT org_rls.organization_id();
SET request.jwt.claims = '{"org_id": ';
SELECT org_rls.organization_id();
RESET request.jwt.claims;

-- use_organization lasts until the end of the transaction, even when the transaction commits.
BEGIN;
SELECT org_rls.use_organization('00000000-0000-4000-8000-00000000000a');
SELECT org_rls.organization_id() AS inside_transaction;
COMMIT;
SELECT org_rls.organization_id() IS NULL AS after_commit;
BEGIN;
SELECT org_rls.use_organization('00000000-0000-4000-8000-00000000000b') IS NOT NULL AS context_set;
ROLLBACK;
SELECT org_rls.organization_id() IS NULL AS after_rollback;
-- Outside a transaction block, the statement is its own transaction.
SELECT org_rls.use_organization('00000000-0000-4000-8000-00000000000c') IS NOT NULL AS context_set;
SELECT org_rls.organization_id() IS NULL AS next_statement;

-- A plain role may set and read its context.
SET ROLE org_rls_context_user;
BEGIN;
SELECT org_rls.use_organization('00000000-0000-4000-8000-00000000000d');
SELECT org_rls.organization_id(), org_rls.assistant_ids();
COMMIT;
RESET ROLE;

-- Sources in order: the setting, then the JWT claim, then the legacy tenant setting.
SET request.jwt.claims = '{"org_id": "00000000-0000-4000-8000-0000000000f1", "sub": "user-1"}';
SELECT org_rls.organization_id() AS from_claim;
SET org_rls.organization_id = '00000000-0000-4000-8000-0000000000f2';
SELECT org_rls.organization_id() AS setting_wins;
RESET org_rls.organization_id;
SET org_rls.jwt_claim = 'organization';
SELECT org_rls.organization_id() IS NULL AS other_claim_missing;
SET request.jwt.claims = '{"organization": "{00000000-0000-4000-8000-0000000000f3}"}';
SELECT org_rls.organization_id() AS other_claim;
RESET org_rls.jwt_claim;
RESET request.jwt.claims;

-- The legacy tenant setting maps an assistant to its organization once one is attached.
SET org_rls.legacy_tenant_setting = 'app.current_tenant';
SET app.current_tenant = '00000000-0000-4000-8000-0000000000a1';
SELECT org_rls.organization_id() IS NULL AS nothing_attached;
CREATE TABLE public.bots (id uuid PRIMARY KEY, name text);
SELECT org_rls.attach_assistants('public.bots');
INSERT INTO org_rls.organizations (id, name) VALUES ('00000000-0000-4000-8000-00000000000a', 'A');
INSERT INTO public.bots VALUES
    ('00000000-0000-4000-8000-0000000000a1', 'a1', '00000000-0000-4000-8000-00000000000a'),
    ('00000000-0000-4000-8000-0000000000a2', 'a2', '00000000-0000-4000-8000-00000000000a'),
    ('00000000-0000-4000-8000-0000000000b1', 'b1', NULL);
SELECT org_rls.organization_id() AS from_legacy_tenant, org_rls.assistant_ids();
SET app.current_tenant = '00000000-0000-4000-8000-0000000000b1';
SELECT org_rls.organization_id() IS NULL AS assistant_without_organization;
SET app.current_tenant = '00000000-0000-4000-8000-0000000000ff';
SELECT org_rls.organization_id() IS NULL AS unknown_assistant;
SET app.current_tenant = '';
SELECT org_rls.organization_id() IS NULL AS empty_tenant;
SET app.current_tenant = 'assistant-1';
SELECT org_rls.organization_id();
SET org_rls.legacy_tenant_setting = 'app.no_such_setting';
SELECT org_rls.organization_id() IS NULL AS undefined_setting;
-- The lookup needs no privilege on the assistants table.
SET org_rls.legacy_tenant_setting = 'app.current_tenant';
SET app.current_tenant = '00000000-0000-4000-8000-0000000000a2';
SET ROLE org_rls_context_user;
SELECT has_table_privilege('public.bots', 'SELECT') AS can_read_bots,
       org_rls.organization_id() AS from_legacy_tenant, org_rls.assistant_ids();
RESET ROLE;

RESET ALL;
DROP TABLE public.bots;
DROP EXTENSION org_rls;
DROP ROLE org_rls_context_user;
