-- Checks that the application's functions work: the widget RPCs as
-- app_widget, hybrid_search as app_user, and an insert of an assistant
-- through the view tenants as a superuser, which must return the SQLSTATE in
-- the psql variable view_insert_sqlstate. Everything runs in a transaction
-- that is rolled back, and psql variables carry the results past the
-- rollback into demo.checks.
\pset tuples_only on
\pset format unaligned

-- The fixture makes every 17th assistant inactive, so the widget RPCs reject
-- the key of assistant 17.
SELECT md5('fixture-tenant-1')::uuid AS assistant_1,
       'pk_live_' || substr(md5('widget-key-1'), 1, 24) AS active_key,
       'pk_live_' || substr(md5('widget-key-17'), 1, 24) AS inactive_key \gset

BEGIN;

SET LOCAL ROLE app_widget;
SELECT public.widget_start_conversation(:'active_key', 'integration-visitor') AS widget_conversation \gset
SELECT demo.sqlstate_of(format('SELECT public.widget_start_conversation(%L, %L)',
                               :'inactive_key', 'integration-visitor')) AS inactive_key_sqlstate \gset
SELECT count(*) AS widget_search_rows
  FROM public.widget_search(:'active_key', 'refund invoice', public.fixture_embedding(42, 16), 5) \gset
RESET ROLE;
SELECT count(*) AS widget_conversation_rows FROM public.conversations
 WHERE id = :'widget_conversation' AND tenant_id = :'assistant_1' AND channel = 'widget' \gset

SET LOCAL app.current_tenant = :'assistant_1';
SET LOCAL ROLE app_user;
SELECT count(*) AS hybrid_search_rows
  FROM public.hybrid_search(:'assistant_1', 'refund invoice', public.fixture_embedding(42, 16), 10) \gset
SELECT count(*) AS app_user_conversation_rows FROM public.conversations
 WHERE id = :'widget_conversation' \gset
RESET ROLE;

SELECT demo.sqlstate_of($$INSERT INTO public.tenants (slug, name)
                          VALUES ('assistant-integration-new', 'New Assistant')$$) AS view_insert_result \gset

ROLLBACK;

SELECT demo.expect_equal('conversations started by widget_start_conversation', :widget_conversation_rows, 1);
SELECT demo.expect_equal('widget_start_conversation with an inactive key (SQLSTATE)',
                         :'inactive_key_sqlstate', '28000');
SELECT demo.expect_equal('widget_search returns results', :widget_search_rows > 0, true);
SELECT demo.expect_equal('hybrid_search as app_user returns results', :hybrid_search_rows > 0, true);
SELECT demo.expect_equal('that conversation visible to app_user of its assistant', :app_user_conversation_rows, 1);
SELECT demo.expect_equal('insert of an assistant through the view tenants (SQLSTATE)',
                         :'view_insert_result', :'view_insert_sqlstate');
