-- Prints one line per application table: its name, row count and the md5 of
-- its rows as text in text order, so that the result does not depend on the
-- physical order of the rows. The line assistants_except_organization_id
-- leaves out the column that the backfill fills. Run as a superuser, which
-- row-level security does not filter.
\pset tuples_only on
\pset format unaligned
SELECT 'assistants', count(*), md5(string_agg(t::text, E'\n' ORDER BY t::text)) FROM public.assistants t
UNION ALL
SELECT 'assistants_except_organization_id', count(*),
       md5(string_agg((to_jsonb(t) - 'organization_id')::text, E'\n' ORDER BY (to_jsonb(t) - 'organization_id')::text))
  FROM public.assistants t
UNION ALL
SELECT 'tenant_members', count(*), md5(string_agg(t::text, E'\n' ORDER BY t::text)) FROM public.tenant_members t
UNION ALL
SELECT 'documents', count(*), md5(string_agg(t::text, E'\n' ORDER BY t::text)) FROM public.documents t
UNION ALL
SELECT 'knowledge', count(*), md5(string_agg(t::text, E'\n' ORDER BY t::text)) FROM public.knowledge t
UNION ALL
SELECT 'conversations', count(*), md5(string_agg(t::text, E'\n' ORDER BY t::text)) FROM public.conversations t
UNION ALL
SELECT 'messages', count(*), md5(string_agg(t::text, E'\n' ORDER BY t::text)) FROM public.messages t
UNION ALL
SELECT 'events', count(*), md5(string_agg(t::text, E'\n' ORDER BY t::text)) FROM public.events t;
