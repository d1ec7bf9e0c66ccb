-- The org_rls migration as the README gives it, then a skewed assignment
-- of assistants to organizations. psql variables: assistants, organizations
-- (counts) and large_size (assistants in each of the 3 large organizations).
SET client_min_messages = warning;

CREATE EXTENSION org_rls;
SELECT org_rls.rename_tenants();
SELECT org_rls.attach_assistants();
-- At top level, so that each batch commits.
CALL org_rls.backfill(1000);
SELECT org_rls.finalize_assistants();

-- Assistant g (the generator's index, id md5('fixture-tenant-' || g)) goes to
-- organization number org_no. Organizations 1 to 3 get :large_size
-- assistants each. Then 70% of the remaining organizations get one
-- assistant each, and the others share the remaining assistants round robin.
CREATE TABLE bench.assignment AS
WITH sizes AS (
    SELECT :assistants AS n, :organizations AS o, :large_size AS s, 3 AS large,
           (:organizations - 3) * 7 / 10 AS singles
)
SELECT g, md5('fixture-tenant-' || g)::uuid AS assistant_id,
       CASE WHEN g <= large * s THEN (g - 1) / s + 1
            WHEN g <= large * s + singles THEN g - large * s + large
            ELSE large + singles + 1 + (g - large * s - singles - 1) % (o - large - singles)
       END AS org_no
  FROM sizes, generate_series(1, (SELECT n FROM sizes)) AS g;

-- Each organization number keeps the organization that the backfill made
-- for its first assistant; the others are deleted once empty.
CREATE TABLE bench.organization AS
SELECT f.org_no, o.id AS organization_id, f.assistants
  FROM (SELECT org_no, min(g) AS first_g, count(*) AS assistants
          FROM bench.assignment GROUP BY org_no) f
  JOIN org_rls.organizations o ON o.backfilled_from = md5('fixture-tenant-' || f.first_g)::uuid;

UPDATE public.assistants a
   SET organization_id = bo.organization_id
  FROM bench.assignment m
  JOIN bench.organization bo USING (org_no)
 WHERE a.id = m.assistant_id AND a.organization_id <> bo.organization_id;

DELETE FROM org_rls.organizations o
 WHERE NOT EXISTS (SELECT FROM public.assistants a WHERE a.organization_id = o.id);

ALTER DATABASE bench SET org_rls.legacy_tenant_setting = 'app.current_tenant';
VACUUM ANALYZE public.assistants;
VACUUM ANALYZE org_rls.organizations;

SELECT format('%s organizations: %s with %s assistants, %s with 1, largest of the rest %s',
              count(*), count(*) FILTER (WHERE assistants = :large_size), :large_size,
              count(*) FILTER (WHERE assistants = 1),
              max(assistants) FILTER (WHERE assistants < :large_size AND assistants > 1))
  FROM bench.organization;
