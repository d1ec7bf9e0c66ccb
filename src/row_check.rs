//! `in_organization(assistant_id)`: the test that org_rls's policies apply to
//! each row, in place of comparing the row with every id of the organization.
//!
//! The organization's ids are looked up once and kept, sorted, for as long as
//! the snapshot and the settings that decide the organization stay the same,
//! so each row costs a check of those and a binary search. When a btree index
//! leads with the tenant column, the planner support function
//! (`planner_support.rs`) lets the planner scan it for the ids instead.

use crate::assistants::{self, Ids, SnapshotKey};
use crate::context::Inputs;
use pgrx::prelude::*;
use pgrx::Uuid;
use std::cell::RefCell;
use std::rc::Rc;

/// The ids of the organization that `inputs` decided, as seen by `snapshot`,
/// as big-endian integers: they sort like PostgreSQL's uuids (by their
/// bytes) and compare in one instruction.
struct CachedIds {
    snapshot: SnapshotKey,
    inputs: Inputs,
    /// The set the keys were made from; when the next lookup returns the
    /// same set (kept across statements), the keys are kept too.
    ids: Ids,
    keys: Rc<[u128]>,
}

thread_local! {
    static CACHED_IDS: RefCell<Option<CachedIds>> = const { RefCell::new(None) };
}

/// True when the assistant belongs to the current organization; false when
/// it belongs to another, to none, or when there is no current organization.
#[pg_extern(stable, strict, parallel_safe)]
fn in_organization(assistant_id: Uuid) -> bool {
    let snapshot = assistants::snapshot_key();
    let cached = CACHED_IDS.with(|cached| {
        cached
            .borrow()
            .as_ref()
            .filter(|cached| Some(cached.snapshot) == snapshot && cached.inputs.unchanged())
            .map(|cached| cached.keys.binary_search(&key_of(assistant_id)).is_ok())
    });
    if let Some(found) = cached {
        return found;
    }
    let inputs = Inputs::read();
    let ids = assistants::current_ids();
    let keys = CACHED_IDS
        .with(|cached| {
            cached
                .borrow()
                .as_ref()
                .filter(|cached| Rc::ptr_eq(&cached.ids, &ids))
                .map(|cached| cached.keys.clone())
        })
        .unwrap_or_else(|| sorted_keys(&ids));
    let found = keys.binary_search(&key_of(assistant_id)).is_ok();
    // Without a snapshot key there is no way to notice that the ids went stale.
    CACHED_IDS.with(|cached| {
        *cached.borrow_mut() = snapshot.map(|snapshot| CachedIds {
            snapshot,
            inputs,
            ids,
            keys,
        })
    });
    found
}

fn sorted_keys(ids: &Ids) -> Rc<[u128]> {
    let mut keys: Vec<u128> = ids.iter().copied().map(key_of).collect();
    // The lookup already sorts the ids; checking costs one pass per lookup.
    if !keys.is_sorted() {
        keys.sort_unstable();
    }
    keys.into()
}

fn key_of(id: Uuid) -> u128 {
    u128::from_be_bytes(*id.as_bytes())
}
