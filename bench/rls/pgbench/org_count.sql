-- Messages of the organization, filtered by row-level security alone.
SELECT count(*) FROM public.messages;
