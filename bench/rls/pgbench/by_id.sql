-- One message by id, within the assistant.
\set mid random(:mid_lo, :mid_hi)
SELECT id, conversation_id, role, content, created_at
  FROM public.messages
 WHERE id = :mid AND tenant_id = :tenant::uuid;
