-- Organization-wide full-text match through a SECURITY DEFINER function.
SELECT id FROM bench.search_organization_knowledge(:tsquery);
