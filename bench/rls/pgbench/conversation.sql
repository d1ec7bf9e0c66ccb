-- The latest 50 messages of one conversation of the assistant.
SELECT id, role, content, created_at
  FROM public.messages
 WHERE conversation_id = :conv::uuid AND tenant_id = :tenant::uuid
 ORDER BY created_at DESC
 LIMIT 50;
