-- Records the rows visible to the legacy application under the label given
-- with psql -v label=...: every capture query for every assistant, and the
-- policies of schema public.
\pset tuples_only on
\pset format unaligned
SELECT demo.capture(:'label');
SELECT demo.snapshot_policies(:'label');
