-- One new message in a random conversation of the assistant.
\set cv random(1, :convs)
INSERT INTO public.messages (conversation_id, tenant_id, role, content)
VALUES (md5('fixture-conv-' || :g || '-' || :cv)::uuid, :tenant::uuid,
        'user'::public.message_role, 'How do I reset my password?');
