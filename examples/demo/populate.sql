-- Fills the example database: 200 assistants, each with 20 documents of 10
-- chunks, 100 conversations of 8 messages and 200 events (about 265k rows).
-- The generator is deterministic, so every run gets the same rows.
\pset tuples_only on
\pset format unaligned
SELECT format('generated %s rows in %s tables', sum(row_count), count(*))
  FROM public.fixture_generate(200, 20, 10, 100, 8, 200);
ANALYZE;
