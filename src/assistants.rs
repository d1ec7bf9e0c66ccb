//! Lookups in the attached assistants table.
//!
//! They run as the extension's owner, for two reasons. org_rls's own policy
//! on the assistants table calls `organization_id()`, which may read that
//! table, so running as the caller would recurse into the policy. And an
//! organization's assistant ids must not depend on which assistants the
//! caller's policies show.
//!
//! Each lookup is a saved plan, and its result is kept until the snapshot
//! changes (see `snapshot_key.rs`), so the policies of one statement share one
//! lookup however many protected tables they cover. Which table is attached
//! is kept across statements until a relcache invalidation of
//! `org_rls.assistants_table`, which a trigger on that table sends.

use crate::direct_read::{self, MembershipVersion};
use crate::own_writes;
use crate::saved_plan::SavedPlan;
use crate::snapshot_key::{self, SnapshotKey};
use crate::uuid_array::UuidArray;
use pgrx::prelude::*;
use pgrx::Uuid;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// An organization's assistant ids, sorted, shared by the caches without
/// copying (2,000 ids are 32 kB).
pub type Ids = Rc<[Uuid]>;

/// The attached table, as read from `org_rls.assistants_table`.
#[derive(Clone, PartialEq)]
struct Attached {
    relation: pg_sys::Oid,
    id_column: String,
    owner: pg_sys::Oid,
    /// False when the table has partitions or child tables. Writes to those
    /// do not fire its statement triggers, so membership versions and the
    /// mark of `own_writes.rs` may miss them.
    versioned: bool,
}

/// Saved plans for one attached table.
struct TablePlans {
    attached: Attached,
    lookups: Lookups,
}

/// The saved lookups of one attached table. Copied out of `STATE` before
/// they run, so that no borrow of `STATE` is held during a lookup.
#[derive(Clone, Copy)]
struct Lookups {
    organization_of: SavedPlan,
    ids_of: SavedPlan,
    versioned: bool,
}

/// Results for one snapshot.
#[derive(Default)]
struct Memo {
    key: Option<SnapshotKey>,
    organizations: HashMap<Uuid, Option<Uuid>>,
    assistant_ids: HashMap<Uuid, Ids>,
}

/// The attached table as read when `ATTACHED_GENERATION` had `generation`.
struct CachedAttached {
    generation: u64,
    attached: Option<Attached>,
}

#[derive(Default)]
struct State {
    attached_plan: Option<SavedPlan>,
    attached: Option<CachedAttached>,
    table_plans: Option<TablePlans>,
    memo: Memo,
    /// Assistant ids kept across statements and transactions, valid while
    /// the organization's membership version is the same.
    membership: HashMap<Uuid, (MembershipVersion, Ids)>,
}

/// Incremented by every relcache invalidation of `org_rls.assistants_table`,
/// of the attached table (a trigger created, dropped or disabled) or of all
/// relations. A cached `Attached` of an older generation is stale.
/// Invalidations arrive while a borrow of `STATE` may be held around SPI
/// calls, so these are atomics rather than part of `STATE`.
static ATTACHED_GENERATION: AtomicU64 = AtomicU64::new(0);
/// OID of `org_rls.assistants_table`, learned when it is first read.
static CONFIG_RELATION: AtomicU32 = AtomicU32::new(0);
/// OID of the attached table when it was last read, 0 when none.
static ATTACHED_RELATION: AtomicU32 = AtomicU32::new(0);

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Upper bound on memoized organizations per snapshot; the memo is cleared
/// beyond it, which costs only a lookup.
const MEMO_CAPACITY: usize = 256;
/// Upper bound on organizations whose assistant ids a backend keeps across
/// statements (a pooled connection serves a few at a time).
const MEMBERSHIP_CAPACITY: usize = 64;

/// Always one row: the OID and owner of `org_rls.assistants_table` (the
/// owner is the role that created the extension), then the attached table
/// and its id column, NULL when none is attached, whether the trigger that
/// marks writes (`own_writes.rs`) is on it and always enabled, and whether
/// it has no partitions or child tables.
const ATTACHED_QUERY: &str = "\
    SELECT c.oid, c.relowner, t.relation::pg_catalog.oid, t.id_column::pg_catalog.text, \
           EXISTS (SELECT FROM pg_catalog.pg_trigger g \
                    WHERE g.tgrelid OPERATOR(pg_catalog.=) t.relation::pg_catalog.oid \
                      AND g.tgname OPERATOR(pg_catalog.=) 'org_rls_membership_writing' \
                      AND g.tgenabled OPERATOR(pg_catalog.=) 'A'), \
           NOT (a.relkind OPERATOR(pg_catalog.=) 'p' OR a.relhassubclass) \
      FROM pg_catalog.pg_class c LEFT JOIN org_rls.assistants_table t ON true \
           LEFT JOIN pg_catalog.pg_class a ON a.oid OPERATOR(pg_catalog.=) t.relation::pg_catalog.oid \
     WHERE c.oid OPERATOR(pg_catalog.=) 'org_rls.assistants_table'::pg_catalog.regclass";

/// Registers the invalidation callback; called once per backend from `_PG_init`.
pub fn register_invalidation() {
    // SAFETY: registers a plain function for the life of the backend.
    unsafe {
        pg_sys::CacheRegisterRelcacheCallback(
            Some(on_relcache_invalidation),
            pg_sys::Datum::from(0usize),
        );
    }
}

/// Marks the cached attached table and the kept table layouts of
/// `direct_read.rs` stale. It runs inside invalidation processing, so it
/// only touches atomics.
#[pg_guard]
unsafe extern "C-unwind" fn on_relcache_invalidation(
    _argument: pg_sys::Datum,
    relation: pg_sys::Oid,
) {
    let relation = relation.to_u32();
    direct_read::note_invalidation(relation);
    if relation == 0
        || relation == CONFIG_RELATION.load(Ordering::Relaxed)
        || relation == ATTACHED_RELATION.load(Ordering::Relaxed)
    {
        ATTACHED_GENERATION.fetch_add(1, Ordering::Relaxed);
    }
}

/// Returns the number of invalidations that made the cached attached table stale.
pub fn attached_generation() -> u64 {
    ATTACHED_GENERATION.load(Ordering::Relaxed)
}

/// Sends a relcache invalidation of `relation` at commit, to every backend.
/// The trigger on `org_rls.assistants_table` calls it after each change.
#[pg_extern(volatile, name = "_invalidate_relcache")]
fn invalidate_relcache(relation: pg_sys::Oid) {
    // SAFETY: queues an invalidation message; any relation OID is accepted.
    unsafe { pg_sys::CacheInvalidateRelcacheByRelid(relation) }
}

/// Returns the ids of the current organization's assistants, sorted; empty
/// when there is no current organization or no assistants table is attached.
#[pg_extern(stable, parallel_safe)]
fn assistant_ids() -> UuidArray {
    UuidArray(current_ids())
}

/// Returns the ids of the current organization's assistants, sorted by their
/// bytes as PostgreSQL sorts uuids. The list is empty when there is no
/// current organization or no assistants table is attached.
pub fn current_ids() -> Ids {
    match crate::context::organization_id() {
        Some(organization) => ids_of(organization),
        None => Ids::from([]),
    }
}

/// Returns the organization of an assistant, or None when the assistant
/// does not exist, has no organization, or no table is attached.
pub fn organization_of(assistant: Uuid) -> Option<Uuid> {
    let key = snapshot_key::current();
    if let Some(found) = with_memo(key, |memo| memo.organizations.get(&assistant).copied()) {
        return found;
    }
    let found = current_attached()
        .and_then(|attached| {
            direct_read::organization_of(attached.relation, &attached.id_column, assistant)
        })
        .unwrap_or_else(|| {
            run_lookup(|plans| {
                plans
                    .organization_of
                    .first_value::<Uuid>(&[uuid_datum(assistant)])
            })
            .flatten()
        });
    with_memo(key, |memo| {
        trim(memo);
        memo.organizations.insert(assistant, found)
    });
    found
}

fn ids_of(organization: Uuid) -> Ids {
    let key = snapshot_key::current();
    if let Some(ids) = with_memo(key, |memo| memo.assistant_ids.get(&organization).cloned()) {
        return ids;
    }
    // While this transaction writes the assistants table, the version may
    // lag behind the rows (see `own_writes.rs`), and a table with children
    // has no reliable version: read the ids, keep nothing. Otherwise read the
    // version without SPI once the attached table's plans are prepared.
    let version = if own_writes::current() {
        Some(None)
    } else {
        current_attached().map(|attached| {
            attached
                .versioned
                .then(|| direct_read::membership_version(organization))
                .flatten()
        })
    };
    let ids = version
        .flatten()
        .and_then(|version| cached_membership(organization, version))
        .unwrap_or_else(|| read_ids(organization, version));
    with_memo(key, |memo| {
        trim(memo);
        memo.assistant_ids.insert(organization, ids.clone())
    });
    ids
}

/// Reads the organization's ids from the attached table, and keeps them
/// with the membership version read just before (`version`, or now when
/// it was not read yet).
fn read_ids(organization: Uuid, version: Option<Option<MembershipVersion>>) -> Ids {
    run_lookup(|plans| {
        let version = match version {
            Some(known) => known,
            None if plans.versioned => direct_read::membership_version(organization),
            None => None,
        };
        let ids: Ids = plans
            .ids_of
            .first_value::<Vec<Uuid>>(&[uuid_datum(organization)])
            .unwrap_or_default()
            .into();
        if let Some(version) = version {
            keep_membership(organization, version, &ids);
        }
        ids
    })
    .unwrap_or_else(|| Ids::from([]))
}

fn cached_membership(organization: Uuid, version: MembershipVersion) -> Option<Ids> {
    STATE.with(|state| {
        state
            .borrow()
            .membership
            .get(&organization)
            .filter(|(kept, _)| *kept == version)
            .map(|(_, ids)| ids.clone())
    })
}

fn keep_membership(organization: Uuid, version: MembershipVersion, ids: &Ids) {
    STATE.with(|state| {
        let membership = &mut state.borrow_mut().membership;
        if membership.len() >= MEMBERSHIP_CAPACITY {
            membership.clear();
        }
        membership.insert(organization, (version, ids.clone()));
    })
}

/// Runs `lookup` with the saved plans of the attached table, as its owner.
/// Returns None when no table is attached.
fn run_lookup<R>(lookup: impl FnOnce(&Lookups) -> R) -> Option<R> {
    Spi::connect(|_client| {
        let attached = attached()?;
        let owner = attached.owner;
        let lookups = prepare_table_plans(attached);
        Some(as_owner(owner, || lookup(&lookups)))
    })
}

/// Returns the attached table when it is known, no invalidation arrived
/// since it was read, and its plans are prepared. Ids kept for it then still
/// apply, and reads need no SPI to find it.
fn current_attached() -> Option<Attached> {
    let generation = ATTACHED_GENERATION.load(Ordering::Relaxed);
    STATE.with(|state| {
        let state = state.borrow();
        let cached = state.attached.as_ref()?;
        let plans = state.table_plans.as_ref()?;
        (cached.generation == generation && cached.attached.as_ref() == Some(&plans.attached))
            .then(|| plans.attached.clone())
    })
}

/// Returns the attached table, read again only after an invalidation. Must
/// be called inside `Spi::connect`.
fn attached() -> Option<Attached> {
    // Read before the query, so that an invalidation during it leaves the
    // result stale rather than current.
    let generation = ATTACHED_GENERATION.load(Ordering::Relaxed);
    let cached = STATE.with(|state| {
        state
            .borrow()
            .attached
            .as_ref()
            .filter(|cached| cached.generation == generation)
            .map(|cached| cached.attached.clone())
    });
    if let Some(found) = cached {
        return found;
    }
    let plan = match STATE.with(|state| state.borrow().attached_plan) {
        Some(plan) => plan,
        None => {
            let plan = SavedPlan::prepare(ATTACHED_QUERY, &[]);
            STATE.with(|state| state.borrow_mut().attached_plan = Some(plan));
            plan
        }
    };
    let found = plan
        .first_row(&[], |row| {
            let config = row.get::<pg_sys::Oid>(1)?;
            CONFIG_RELATION.store(config.to_u32(), Ordering::Relaxed);
            let relation = row.get::<pg_sys::Oid>(3);
            ATTACHED_RELATION.store(relation.map_or(0, |oid| oid.to_u32()), Ordering::Relaxed);
            let versioned = row.get::<bool>(6).unwrap_or(false);
            let marked = row.get::<bool>(5).unwrap_or(false);
            own_writes::set_marked(generation, marked && versioned);
            Some(Attached {
                owner: row.get::<pg_sys::Oid>(2)?,
                relation: relation?,
                id_column: row.get::<String>(4)?,
                versioned,
            })
        })
        .flatten();
    STATE.with(|state| {
        state.borrow_mut().attached = Some(CachedAttached {
            generation,
            attached: found.clone(),
        })
    });
    found
}

/// Returns the saved lookups of `attached`, preparing them again when
/// another table or id column was attached since they were prepared.
fn prepare_table_plans(attached: Attached) -> Lookups {
    STATE.with(|state| {
        let mut state = state.borrow_mut();
        if let Some(plans) = state
            .table_plans
            .as_ref()
            .filter(|plans| plans.attached == attached)
        {
            return plans.lookups;
        }
        if let Some(old) = state.table_plans.take() {
            old.lookups.organization_of.free();
            old.lookups.ids_of.free();
        }
        // Sets read from another table are no longer valid.
        state.membership.clear();
        let id = quote_identifier(&attached.id_column);
        let table = qualified_name(attached.relation);
        let uuid = [pg_sys::UUIDOID];
        let organization_of = SavedPlan::prepare(
            &format!("SELECT organization_id FROM {table} WHERE {id} OPERATOR(pg_catalog.=) $1"),
            &uuid,
        );
        let ids_of = SavedPlan::prepare(
            &format!(
                "SELECT pg_catalog.array_agg({id} ORDER BY {id}) FROM {table} \
                  WHERE organization_id OPERATOR(pg_catalog.=) $1"
            ),
            &uuid,
        );
        let lookups = Lookups {
            organization_of,
            ids_of,
            versioned: attached.versioned,
        };
        state.table_plans = Some(TablePlans { attached, lookups });
        lookups
    })
}

/// Runs `action` on the memo after clearing it if the snapshot changed.
/// Returns None without running it when the snapshot cannot be keyed.
fn with_memo<R>(
    key: Option<SnapshotKey>,
    action: impl FnOnce(&mut Memo) -> Option<R>,
) -> Option<R> {
    let key = key?;
    STATE.with(|state| {
        let memo = &mut state.borrow_mut().memo;
        if memo.key != Some(key) {
            *memo = Memo {
                key: Some(key),
                ..Memo::default()
            };
        }
        action(memo)
    })
}

fn trim(memo: &mut Memo) {
    if memo.organizations.len() + memo.assistant_ids.len() >= MEMO_CAPACITY {
        memo.organizations.clear();
        memo.assistant_ids.clear();
    }
}

fn uuid_datum(value: Uuid) -> pg_sys::Datum {
    value.into_datum().expect("a uuid is never NULL")
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

fn quote_identifier(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// Returns `schema.table` with both parts quoted, read from the relation cache.
fn qualified_name(relation: pg_sys::Oid) -> String {
    // SAFETY: lsyscache lookups of an existing relation; both return palloc'd
    // strings (or NULL when the relation vanished), copied at once.
    let (schema, table) = unsafe {
        let table = pg_sys::get_rel_name(relation);
        let schema = pg_sys::get_namespace_name(pg_sys::get_rel_namespace(relation));
        if table.is_null() || schema.is_null() {
            error!("org_rls: the attached assistants table (OID {relation:?}) does not exist");
        }
        (
            std::ffi::CStr::from_ptr(schema)
                .to_string_lossy()
                .into_owned(),
            std::ffi::CStr::from_ptr(table)
                .to_string_lossy()
                .into_owned(),
        )
    };
    format!("{}.{}", quote_identifier(&schema), quote_identifier(&table))
}
