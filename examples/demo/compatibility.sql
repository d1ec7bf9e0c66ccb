-- Checks what must keep working after the migration (the widget RPCs and
-- writes through the compatibility view tenants) and the organizations the
-- backfill created. The writes run in a transaction that is rolled back, and
-- psql variables carry their results past the rollback into demo.checks.
\pset tuples_only on
\pset format unaligned

-- The fixture makes every 17th assistant inactive, so the key of assistant
-- 17 is one that the widget RPCs reject.
SELECT md5('fixture-tenant-1')::uuid AS assistant_1,
       'pk_live_' || substr(md5('widget-key-1'), 1, 24) AS active_key,
       'pk_live_' || substr(md5('widget-key-17'), 1, 24) AS inactive_key,
       (SELECT a.organization_id FROM public.assistants a
         WHERE a.id = md5('fixture-tenant-1')::uuid) AS organization_1 \gset

BEGIN;

-- widget_start_conversation finds the assistant through the view tenants.
SET LOCAL ROLE app_widget;
SELECT public.widget_start_conversation(:'active_key', 'demo-visitor') AS widget_conversation \gset
SELECT demo.sqlstate_of(format('SELECT public.widget_start_conversation(%L, %L)',
                               :'inactive_key', 'demo-visitor')) AS inactive_key_sqlstate \gset
RESET ROLE;
SELECT count(*) AS widget_conversation_rows FROM public.conversations
 WHERE id = :'widget_conversation' AND tenant_id = :'assistant_1' AND channel = 'widget' \gset
SELECT count(*) AS widget_event_rows FROM public.events
 WHERE conversation_id = :'widget_conversation' AND tenant_id = :'assistant_1'
   AND event_type = 'widget.opened' \gset

-- The assistant's API session has no explicit organization: org_rls takes
-- it from app.current_tenant, so the new conversation shows.
SET LOCAL app.current_tenant = :'assistant_1';
SET LOCAL ROLE app_user;
SELECT count(*) AS app_user_conversation_rows FROM public.conversations
 WHERE id = :'widget_conversation' \gset
WITH changed AS (
    UPDATE public.tenants SET system_prompt = system_prompt || ' Answer briefly.'
     WHERE id = :'assistant_1'
    RETURNING id)
SELECT count(*) AS updated_through_view FROM changed \gset
RESET ROLE;

-- A new assistant inserted through the view gets the current organization
-- from the column default; without an organization, NOT NULL rejects it.
SET LOCAL app.current_tenant = '';
SELECT org_rls.use_organization(:'organization_1') \g /dev/null
INSERT INTO public.tenants (slug, name) VALUES ('assistant-demo-new', 'Demo Assistant')
RETURNING id AS new_assistant \gset
SELECT count(*) AS new_assistant_rows FROM public.assistants
 WHERE id = :'new_assistant' AND organization_id = :'organization_1' \gset
SELECT org_rls.use_organization(NULL) \g /dev/null
SELECT demo.sqlstate_of($$INSERT INTO public.tenants (slug, name)
                          VALUES ('assistant-demo-orphan', 'Orphan Assistant')$$) AS orphan_insert_sqlstate \gset

ROLLBACK;

SELECT demo.expect_equal('conversations started by widget_start_conversation', :widget_conversation_rows, 1);
SELECT demo.expect_equal('widget.opened events recorded for it', :widget_event_rows, 1);
SELECT demo.expect_equal('widget_start_conversation with an inactive key (SQLSTATE)',
                         :'inactive_key_sqlstate', '28000');
SELECT demo.expect_equal('that conversation visible to app_user of its assistant', :app_user_conversation_rows, 1);
SELECT demo.expect_equal('rows updated by app_user through the view tenants', :updated_through_view, 1);
SELECT demo.expect_equal('assistants inserted through the view into the current organization',
                         :new_assistant_rows, 1);
SELECT demo.expect_equal('insert through the view without an organization (SQLSTATE)',
                         :'orphan_insert_sqlstate', '23502');

SELECT demo.expect_equal('assistants without an organization', count(*), 0)
  FROM public.assistants WHERE organization_id IS NULL;
SELECT demo.expect_equal('organizations, equal to the number of assistants',
                         (SELECT count(*) FROM org_rls.organizations),
                         (SELECT count(*) FROM public.assistants));
SELECT demo.expect_equal('assistants that share an organization', count(*) - count(DISTINCT organization_id), 0)
  FROM public.assistants;
SELECT demo.expect_equal('assistants whose organization was backfilled from them', count(*),
                         (SELECT count(*) FROM public.assistants))
  FROM public.assistants a
  JOIN org_rls.organizations o ON o.id = a.organization_id AND o.backfilled_from = a.id;
-- Each batch commits, and its organizations share the created_at of its
-- transaction.
SELECT demo.expect_equal('backfill batches of 50 assistants', count(DISTINCT created_at),
                         ceil(count(*) / 50.0)::bigint)
  FROM org_rls.organizations;
SELECT demo.expect_equal('state of the assistants table in org_rls.status()',
                         (SELECT state FROM org_rls.status() WHERE component = 'assistants'), 'finalized');
SELECT demo.expect_equal('tables protected by org_rls', count(*), 7)
  FROM org_rls.protected_tables;
SELECT demo.expect_equal('permissive policies org_rls_access added', count(*), 0)
  FROM org_rls.protected_tables WHERE added_permissive;

\pset tuples_only off
\pset format aligned
\pset footer off
\echo
\echo 'org_rls.status():'
SELECT * FROM org_rls.status();
