-- Full-text match through a SECURITY DEFINER function that filters itself.
SELECT id FROM bench.search_assistant_knowledge(:tenant::uuid, :tsquery);
