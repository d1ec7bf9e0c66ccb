-- Messages of the organization, filtered explicitly (the baseline).
SELECT count(*) FROM public.messages WHERE tenant_id = ANY (:org_ids::uuid[]);
