-- Keyword top 10 over one assistant's knowledge chunks.
SELECT k.id, ts_rank(k.fts, q.query) AS rank
  FROM public.knowledge k, websearch_to_tsquery('english', :words) AS q(query)
 WHERE k.tenant_id = :tenant::uuid AND k.fts @@ q.query
 ORDER BY rank DESC, k.id
 LIMIT 10;
