-- The per-row test of org_rls's policies, called once: its first call in a
-- statement makes the lookup that later rows reuse.
SELECT org_rls.in_organization(:tenant::uuid);
