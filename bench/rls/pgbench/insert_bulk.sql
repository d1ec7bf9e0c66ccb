-- 1,000 new messages in one statement, in a random conversation of the assistant.
\set cv random(1, :convs)
INSERT INTO public.messages (conversation_id, tenant_id, role, content)
SELECT md5('fixture-conv-' || :g || '-' || :cv)::uuid, :tenant::uuid,
       'assistant'::public.message_role, 'Bulk reply ' || n
  FROM generate_series(1, 1000) AS n;
