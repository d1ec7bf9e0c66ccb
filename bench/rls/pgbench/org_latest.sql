-- The organization's latest 50 messages, filtered by row-level security alone.
SELECT id, tenant_id, content, created_at
  FROM public.messages
 ORDER BY created_at DESC
 LIMIT 50;
