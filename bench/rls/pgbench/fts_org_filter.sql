-- Full-text match over the organization's chunks, filtered explicitly.
SELECT id FROM public.knowledge
 WHERE tenant_id = ANY (:org_ids::uuid[]) AND fts @@ to_tsquery('english', :tsquery);
