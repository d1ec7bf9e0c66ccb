//! org_rls: organizations above a legacy `tenants` table of assistants, with
//! organization-scoped row-level security.
//!
//! The Rust side holds the helpers that policies call on every statement
//! (the organization context and its assistant ids). The migration steps are
//! PL/pgSQL in `sql/`, included below in the order they depend on each other.

use pgrx::prelude::*;

mod assistants;
mod context;
mod direct_read;
mod guards;
mod id_set;
mod own_writes;
mod planner_support;
mod row_check;
mod saved_plan;
mod settings;
mod snapshot_key;
mod unguarded;
mod uuid_array;
mod uuid_text;

::pgrx::pg_module_magic!(name, version);

extension_sql_file!(
    "../sql/organizations.sql",
    name = "organizations",
    bootstrap
);
extension_sql_file!(
    "../sql/context.sql",
    name = "context",
    requires = [
        context::organization_id,
        context::use_organization,
        assistants::assistant_ids,
        row_check::in_organization,
        planner_support::in_organization_support,
        guards::reject_transaction_block,
        assistants::invalidate_relcache,
        settings::lock_timeout_ms
    ]
);
extension_sql_file!(
    "../sql/common.sql",
    name = "common",
    requires = ["organizations"]
);
extension_sql_file!("../sql/rename.sql", name = "rename", requires = ["common"]);
extension_sql_file!("../sql/attach.sql", name = "attach", requires = ["common"]);
extension_sql_file!(
    "../sql/backfill.sql",
    name = "backfill",
    requires = ["common"]
);
extension_sql_file!(
    "../sql/protect.sql",
    name = "protect",
    requires = ["common"]
);
extension_sql_file!("../sql/status.sql", name = "status", requires = ["common"]);
extension_sql_file!("../sql/plan.sql", name = "plan", requires = ["protect"]);

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    settings::register();
    assistants::register_invalidation();
}

#[cfg(any(test, feature = "pg_test"))]
mod pg_tests;

/// Hooks that `cargo pgrx test` needs at the crate root.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
