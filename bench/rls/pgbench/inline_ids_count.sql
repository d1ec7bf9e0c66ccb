-- The inline lookup without sending the array to the client.
SELECT cardinality(ARRAY(SELECT id FROM public.assistants WHERE organization_id = :org::uuid ORDER BY id));
