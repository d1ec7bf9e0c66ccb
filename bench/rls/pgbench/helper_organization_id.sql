SELECT org_rls.organization_id();
