-- Steps 4 to 6 of the migration in the README, after the backfill: the
-- validated foreign key, the legacy tenant setting of the current database
-- and the organization policies on every tenant table and on assistants.
SET client_min_messages = warning;
SELECT org_rls.finalize_assistants();
SELECT format('ALTER DATABASE %I SET org_rls.legacy_tenant_setting = %L',
              current_database(), 'app.current_tenant') \gexec
SELECT org_rls.protect(t)
  FROM unnest('{tenant_members, documents, knowledge, conversations,
                messages, events, assistants}'::regclass[]) AS t;
