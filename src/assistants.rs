//! Lookups in the attached assistants table.
//!
//! They run as the extension's owner: org_rls's own policy on the assistants
//! table calls `organization_id()`, which may read that table, so running as
//! the caller would recurse into the policy; and an organization's assistant
//! ids must not depend on which assistants the caller's policies show.

use pgrx::prelude::*;
use pgrx::Uuid;

/// The attached table, as read from `org_rls.assistants_table`.
struct Attached {
    qualified_name: String,
    id_column: String,
    owner: pg_sys::Oid,
}

const ATTACHED_QUERY: &str = "\
    SELECT pg_catalog.format('%I.%I', n.nspname, c.relname), t.id_column::text, e.extowner \
      FROM org_rls.assistants_table t \
      JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) t.relation \
      JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace \
      JOIN pg_catalog.pg_extension e ON e.extname OPERATOR(pg_catalog.=) 'org_rls'";

/// Returns the ids of an organization's assistants; empty when no
/// organization is given or no assistants table is attached.
#[pg_extern(stable, parallel_safe)]
fn assistant_ids() -> Vec<Uuid> {
    let Some(organization) = crate::context::organization_id() else {
        return Vec::new();
    };
    let Some(attached) = attached() else {
        return Vec::new();
    };
    let query = format!(
        "SELECT pg_catalog.array_agg({id} ORDER BY {id}) FROM {table} \
          WHERE organization_id OPERATOR(pg_catalog.=) $1",
        id = quote_ident(&attached.id_column),
        table = attached.qualified_name,
    );
    as_owner(attached.owner, || {
        Spi::connect(|client| {
            client
                .select(&query, Some(1), &[organization.into()])?
                .first()
                .get_one::<Vec<Uuid>>()
        })
    })
    .unwrap_or_else(|error| error!("org_rls: reading the assistant ids failed: {error}"))
    .unwrap_or_default()
}

/// Returns the organization of an assistant, or None when the assistant
/// does not exist, has no organization, or no table is attached.
pub fn organization_of(assistant: Uuid) -> Option<Uuid> {
    let attached = attached()?;
    let query = format!(
        "SELECT organization_id FROM {table} WHERE {id} OPERATOR(pg_catalog.=) $1",
        id = quote_ident(&attached.id_column),
        table = attached.qualified_name,
    );
    as_owner(attached.owner, || {
        Spi::connect(|client| {
            let table = client.select(&query, Some(1), &[assistant.into()])?;
            if table.is_empty() {
                return Ok(None);
            }
            table.first().get_one::<Uuid>()
        })
    })
    .unwrap_or_else(|error| {
        error!("org_rls: reading the organization of an assistant failed: {error}")
    })
}

fn attached() -> Option<Attached> {
    Spi::connect(|client| {
        let table = client.select(ATTACHED_QUERY, Some(1), &[])?;
        if table.is_empty() {
            return Ok(None);
        }
        let row = table.first();
        Ok(Some(Attached {
            qualified_name: row.get::<String>(1)?.unwrap_or_default(),
            id_column: row.get::<String>(2)?.unwrap_or_default(),
            owner: row.get::<pg_sys::Oid>(3)?.unwrap_or(pg_sys::InvalidOid),
        }))
    })
    .unwrap_or_else(|error: pgrx::spi::SpiError| {
        error!("org_rls: reading org_rls.assistants_table failed: {error}")
    })
}

/// Runs `body` with `owner` as the current user, the way a SECURITY DEFINER
/// function would, and restores the caller's identity even on error.
fn as_owner<R>(owner: pg_sys::Oid, body: impl FnOnce() -> R) -> R {
    let mut caller = pg_sys::InvalidOid;
    let mut security_context = 0;
    // SAFETY: plain reads and writes of the backend's current user id, done
    // the same way fmgr does for SECURITY DEFINER functions.
    unsafe {
        pg_sys::GetUserIdAndSecContext(&mut caller, &mut security_context);
        pg_sys::SetUserIdAndSecContext(
            owner,
            security_context | pg_sys::SECURITY_LOCAL_USERID_CHANGE as i32,
        );
    }
    PgTryBuilder::new(std::panic::AssertUnwindSafe(body))
        .finally(|| unsafe { pg_sys::SetUserIdAndSecContext(caller, security_context) })
        .execute()
}

fn quote_ident(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}
