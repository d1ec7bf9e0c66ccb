-- Full-text match over the organization's chunks, filtered by row-level security alone.
SELECT id FROM public.knowledge WHERE fts @@ to_tsquery('english', :tsquery);
