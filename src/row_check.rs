//! `in_organization(assistant_id)`: the test that org_rls's policies apply to
//! each row, in place of comparing the row with every id of the organization.
//!
//! The organization's ids are looked up once and kept in a hash set while the
//! snapshot and the settings that decide the organization stay the same. Each
//! row then costs a check of those and a set lookup. When a btree index leads
//! with the tenant column, the planner support function (`planner_support.rs`)
//! lets the planner scan it for the ids instead.

use crate::assistants::{self, Ids};
use crate::context::Inputs;
use crate::id_set::IdSet;
use crate::snapshot_key::{self, SnapshotKey};
use pgrx::prelude::*;
use pgrx::Uuid;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// The ids of the organization that `inputs` decided, as seen by `snapshot`.
struct CachedIds {
    snapshot: SnapshotKey,
    inputs: Inputs,
    /// The lookup result that the set was built from. When the next lookup
    /// returns the same result (kept across statements), the set is reused.
    ids: Ids,
    set: Rc<IdSet>,
    /// The last id tested and its result: rows read in physical order often
    /// belong to the same assistant as the row before.
    last: Cell<Option<(u128, bool)>>,
}

impl CachedIds {
    /// Returns true when the id is in the set, testing the last id first.
    fn contains(&self, id: u128) -> bool {
        if let Some((last, found)) = self.last.get() {
            if last == id {
                return found;
            }
        }
        let found = self.set.contains(id);
        self.last.set(Some((id, found)));
        found
    }
}

thread_local! {
    static CACHED_IDS: RefCell<Option<CachedIds>> = const { RefCell::new(None) };
}

/// True when the assistant belongs to the current organization; false when
/// it belongs to another, to none, or when there is no current organization.
#[pg_extern(stable, strict, parallel_safe)]
fn in_organization(assistant_id: Uuid) -> bool {
    let snapshot = snapshot_key::current();
    let cached = CACHED_IDS.with(|cached| {
        cached
            .borrow()
            .as_ref()
            .filter(|cached| Some(cached.snapshot) == snapshot && cached.inputs.unchanged())
            .map(|cached| cached.contains(key_of(assistant_id)))
    });
    if let Some(found) = cached {
        return found;
    }
    let inputs = Inputs::read();
    let ids = assistants::current_ids();
    let set = CACHED_IDS
        .with(|cached| {
            cached
                .borrow()
                .as_ref()
                .filter(|cached| Rc::ptr_eq(&cached.ids, &ids))
                .map(|cached| cached.set.clone())
        })
        .unwrap_or_else(|| Rc::new(IdSet::new(ids.iter().copied().map(key_of))));
    let found = set.contains(key_of(assistant_id));
    // Without a snapshot key there is no way to notice that the ids went stale.
    CACHED_IDS.with(|cached| {
        *cached.borrow_mut() = snapshot.map(|snapshot| CachedIds {
            snapshot,
            inputs,
            ids,
            set,
            last: Cell::new(None),
        })
    });
    found
}

fn key_of(id: Uuid) -> u128 {
    u128::from_be_bytes(*id.as_bytes())
}
