-- The example's hybrid_search (full text and cosine similarity) for one assistant.
SELECT id FROM public.hybrid_search(:tenant::uuid, :words, public.fixture_embedding(42, 16), 10);
