-- The organization's latest 50 messages, filtered explicitly (the baseline).
SELECT id, tenant_id, content, created_at
  FROM public.messages
 WHERE tenant_id = ANY (:org_ids::uuid[])
 ORDER BY created_at DESC
 LIMIT 50;
