-- Full-text match over one assistant's knowledge chunks.
SELECT id FROM public.knowledge
 WHERE tenant_id = :tenant::uuid AND fts @@ to_tsquery('english', :tsquery);
