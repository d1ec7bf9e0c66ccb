-- The lookup assistant_ids() makes, written inline in SQL.
SELECT ARRAY(SELECT id FROM public.assistants WHERE organization_id = :org::uuid ORDER BY id);
