//! Reads one row by its uuid primary key with an index scan, without SPI.
//!
//! Every statement that gets a new snapshot reads the organization's
//! membership version, to learn whether the assistant ids kept from an
//! earlier statement are still its ids. With a legacy tenant setting it also
//! reads the assistant's organization. A saved SPI plan starts and ends an
//! executor for each call, so these index scans are cheaper
//! (docs/benchmarks.md has the measurements).
//!
//! A read returns what the saved plan returned: it uses the calling
//! statement's active snapshot and reads as the table's owner would, with no
//! privilege check and no policies. It keeps the table's AccessShareLock
//! until the end of the transaction, as the executor does.

use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::Uuid;
use std::cell::Cell;
use std::ffi::{CStr, CString};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// The committed state of an organization's membership that a set of ids
/// belongs to: the transaction that wrote the visible row of
/// `org_rls.organizations`, and its `assistants_version`. Triggers on the
/// assistants table increment that version whenever an assistant joins or
/// leaves.
#[derive(Clone, Copy, PartialEq)]
pub struct MembershipVersion {
    pub writer: u32,
    pub version: i64,
}

const SCHEMA: &CStr = c"org_rls";
const ORGANIZATIONS: &CStr = c"organizations";
const ID: &CStr = c"id";
const VERSION: &CStr = c"assistants_version";
const ORGANIZATION_ID: &CStr = c"organization_id";

/// How to read a table by primary key, as found when `generation` was
/// current: its uuid key's index and column, and the column to read.
#[derive(Clone, Copy)]
struct Layout {
    generation: u64,
    table: pg_sys::Oid,
    index: pg_sys::Oid,
    key_column: pg_sys::AttrNumber,
    value_column: pg_sys::AttrNumber,
}

/// Incremented by every relcache invalidation of a table whose layout is
/// kept (or of all relations); a layout of an older generation is found
/// again. An atomic, because invalidations arrive at any lock acquisition.
static GENERATION: AtomicU64 = AtomicU64::new(0);
/// The tables whose layouts are kept: `org_rls.organizations` and the
/// attached assistants table; 0 when none.
static WATCHED: [AtomicU32; 2] = [AtomicU32::new(0), AtomicU32::new(0)];

thread_local! {
    static LAYOUTS: Cell<[Option<Layout>; 2]> = const { Cell::new([None; 2]) };
}

const ORGANIZATIONS_SLOT: usize = 0;
const ASSISTANTS_SLOT: usize = 1;

/// Called by the relcache invalidation callback (`assistants.rs`) for every
/// invalidated relation, 0 meaning all of them.
pub fn note_invalidation(relation: u32) {
    if relation == 0
        || WATCHED
            .iter()
            .any(|watched| watched.load(Ordering::Relaxed) == relation)
    {
        GENERATION.fetch_add(1, Ordering::Relaxed);
    }
}

/// Returns the version of the organization's row that is visible to the
/// active snapshot. Returns None when there is no active snapshot, no row is
/// visible, or the current transaction wrote the row, because its own
/// uncommitted changes may still move assistants without a new version.
pub fn membership_version(organization: Uuid) -> Option<MembershipVersion> {
    let generation = GENERATION.load(Ordering::Relaxed);
    let table = LAYOUTS.get()[ORGANIZATIONS_SLOT]
        .filter(|kept| kept.generation == generation)
        .map(|kept| kept.table)
        .or_else(organizations_table)?;
    // SAFETY: a read by primary key that copies two integers out of the tuple.
    let (writer, version) = unsafe {
        read_by_primary_key(
            table,
            ORGANIZATIONS_SLOT,
            ID,
            VERSION,
            organization,
            |tuple, descriptor, layout| {
                let writer = column(tuple, descriptor, pg_sys::MinTransactionIdAttributeNumber)?;
                let version = column(tuple, descriptor, layout.value_column)?;
                Some((writer.value() as u32, version.value() as i64))
            },
        )
        .flatten()
        .flatten()?
    };
    // SAFETY: a plain lookup in this backend's transaction state.
    if unsafe { pg_sys::TransactionIdIsCurrentTransactionId(writer.into()) } {
        return None;
    }
    Some(MembershipVersion { writer, version })
}

/// Returns the OID of `org_rls.organizations`, or None when it does not exist.
fn organizations_table() -> Option<pg_sys::Oid> {
    // SAFETY: syscache lookups by name.
    unsafe {
        let schema = pg_sys::get_namespace_oid(SCHEMA.as_ptr(), true);
        if schema == pg_sys::InvalidOid {
            return None;
        }
        let table = pg_sys::get_relname_relid(ORGANIZATIONS.as_ptr(), schema);
        (table != pg_sys::InvalidOid).then_some(table)
    }
}

/// Returns the `organization_id` of the assistant whose primary key column
/// `id_column` of `table` is `assistant`. Returns Some(None) when the row is
/// not visible or has no organization. Returns None when the table cannot be
/// read this way: no active snapshot, a partitioned or inherited table, an
/// access method other than heap, or another primary key.
pub fn organization_of(
    table: pg_sys::Oid,
    id_column: &str,
    assistant: Uuid,
) -> Option<Option<Uuid>> {
    let id_column = CString::new(id_column).ok()?;
    // SAFETY: a read by primary key, which copies the uuid out of the tuple
    // before the scan ends.
    unsafe {
        read_by_primary_key(
            table,
            ASSISTANTS_SLOT,
            &id_column,
            ORGANIZATION_ID,
            assistant,
            |tuple, descriptor, layout| {
                let value = column(tuple, descriptor, layout.value_column)?;
                Uuid::from_datum(value, false)
            },
        )
        .map(Option::flatten)
    }
}

/// Finds the row of `table` whose single-column primary key `key_column`
/// equals `key` and is visible to the active snapshot, and passes it to
/// `read` with the table's layout (kept in `slot`, `value_column` being the
/// column to read). Returns None when the read is not possible, Some(None)
/// when no row is visible.
unsafe fn read_by_primary_key<R>(
    table: pg_sys::Oid,
    slot: usize,
    key_column: &CStr,
    value_column: &CStr,
    key: Uuid,
    read: impl FnOnce(pg_sys::HeapTuple, pg_sys::TupleDesc, &Layout) -> R,
) -> Option<Option<R>> {
    unsafe {
        if !pg_sys::ActiveSnapshotSet() {
            return None;
        }
        in_temporary_context(|| {
            // A table dropped since its OID was kept is left to the SQL
            // lookup, which reports it by name. Opening the table also
            // processes pending invalidations, so the layout is checked after.
            let relation = pg_sys::try_table_open(table, pg_sys::AccessShareLock as i32);
            if relation.is_null() {
                return None;
            }
            let found = layout_of(relation, slot, key_column, value_column).map(|layout| {
                scan(relation, &layout, key, |tuple, descriptor| {
                    read(tuple, descriptor, &layout)
                })
            });
            // The lock stays until the end of the transaction.
            pg_sys::table_close(relation, pg_sys::NoLock as i32);
            found
        })
    }
}

/// Returns the layout of the open table `relation` kept in `slot`, found
/// again after an invalidation or for another table.
unsafe fn layout_of(
    relation: pg_sys::Relation,
    slot: usize,
    key_column: &CStr,
    value_column: &CStr,
) -> Option<Layout> {
    let table = unsafe { (*relation).rd_id };
    let generation = GENERATION.load(Ordering::Relaxed);
    let mut layouts = LAYOUTS.get();
    if let Some(kept) =
        layouts[slot].filter(|kept| kept.table == table && kept.generation == generation)
    {
        return Some(kept);
    }
    WATCHED[slot].store(table.to_u32(), Ordering::Relaxed);
    let (index, key_column) = unsafe { primary_key_on(relation, table, key_column)? };
    let value_column = unsafe { attribute_number(table, value_column)? };
    let layout = Layout {
        generation,
        table,
        index,
        key_column,
        value_column,
    };
    layouts[slot] = Some(layout);
    LAYOUTS.set(layouts);
    Some(layout)
}

/// Returns the primary key index of a plain heap table without children and
/// its key column's number, when the key is that one column, compared as uuids.
unsafe fn primary_key_on(
    relation: pg_sys::Relation,
    table: pg_sys::Oid,
    key_column: &CStr,
) -> Option<(pg_sys::Oid, pg_sys::AttrNumber)> {
    unsafe {
        // The SQL lookup also reads child tables, and systable_getnext
        // expects heap tuples.
        let form = &*(*relation).rd_rel;
        if form.relkind != pg_sys::RELKIND_RELATION as std::ffi::c_char
            || form.relhassubclass
            || form.relam != pg_sys::HEAP_TABLE_AM_OID
        {
            return None;
        }
        let column = attribute_number(table, key_column)?;
        let index = pg_sys::RelationGetPrimaryKeyIndex(relation);
        if index == pg_sys::InvalidOid {
            return None;
        }
        let index_relation = pg_sys::index_open(index, pg_sys::AccessShareLock as i32);
        let usable = is_uuid_btree_on(index_relation, column);
        pg_sys::index_close(index_relation, pg_sys::NoLock as i32);
        usable.then_some((index, column))
    }
}

/// Returns true when the index is a btree with the one key column `column`, in the
/// default operator family for uuid, so that uuid_eq finds the key.
unsafe fn is_uuid_btree_on(index: pg_sys::Relation, column: pg_sys::AttrNumber) -> bool {
    unsafe {
        let form = &*(*index).rd_index;
        (*(*index).rd_rel).relam == pg_sys::BTREE_AM_OID
            && form.indnkeyatts == 1
            && *form.indkey.values.as_ptr() == column
            && *(*index).rd_opcintype == pg_sys::UUIDOID
            && *(*index).rd_opfamily == uuid_family()
    }
}

thread_local! {
    static UUID_FAMILY: Cell<pg_sys::Oid> = const { Cell::new(pg_sys::InvalidOid) };
}

/// Returns the operator family of uuid's default btree operator class.
unsafe fn uuid_family() -> pg_sys::Oid {
    let known = UUID_FAMILY.get();
    if known != pg_sys::InvalidOid {
        return known;
    }
    // SAFETY: catalog lookups of built-in objects.
    let family = unsafe {
        pg_sys::get_opclass_family(pg_sys::GetDefaultOpClass(
            pg_sys::UUIDOID,
            pg_sys::BTREE_AM_OID,
        ))
    };
    UUID_FAMILY.set(family);
    family
}

unsafe fn scan<R>(
    relation: pg_sys::Relation,
    layout: &Layout,
    key: Uuid,
    read: impl FnOnce(pg_sys::HeapTuple, pg_sys::TupleDesc) -> R,
) -> Option<R> {
    unsafe {
        let mut scan_key = pg_sys::ScanKeyData::default();
        pg_sys::ScanKeyInit(
            &mut scan_key,
            layout.key_column,
            pg_sys::BTEqualStrategyNumber as u16,
            pg_sys::Oid::from(pg_sys::F_UUID_EQ),
            key.into_datum().expect("a uuid is never NULL"),
        );
        let snapshot = pg_sys::GetActiveSnapshot();
        let scan =
            pg_sys::systable_beginscan(relation, layout.index, true, snapshot, 1, &mut scan_key);
        let tuple = pg_sys::systable_getnext(scan);
        let found = (!tuple.is_null()).then(|| read(tuple, (*relation).rd_att));
        pg_sys::systable_endscan(scan);
        found
    }
}

unsafe fn attribute_number(table: pg_sys::Oid, name: &CStr) -> Option<pg_sys::AttrNumber> {
    let number = unsafe { pg_sys::get_attnum(table, name.as_ptr()) };
    (number > 0).then_some(number)
}

/// Returns a column of the tuple, or None when it is NULL.
unsafe fn column(
    tuple: pg_sys::HeapTuple,
    descriptor: pg_sys::TupleDesc,
    number: impl Into<i32>,
) -> Option<pg_sys::Datum> {
    let mut is_null = false;
    let value = unsafe { pg_sys::heap_getattr(tuple, number.into(), descriptor, &mut is_null) };
    (!is_null).then_some(value)
}

/// Runs `body` in a memory context of its own, deleted afterwards, so that
/// the scan's allocations do not pile up in the caller's context.
unsafe fn in_temporary_context<R>(body: impl FnOnce() -> R) -> R {
    unsafe {
        let context = pg_sys::AllocSetContextCreateInternal(
            pg_sys::CurrentMemoryContext,
            c"org_rls direct read".as_ptr(),
            pg_sys::ALLOCSET_SMALL_MINSIZE as usize,
            pg_sys::ALLOCSET_SMALL_INITSIZE as usize,
            pg_sys::ALLOCSET_SMALL_MAXSIZE as usize,
        );
        let caller = pg_sys::MemoryContextSwitchTo(context);
        PgTryBuilder::new(std::panic::AssertUnwindSafe(body))
            .finally(|| {
                pg_sys::MemoryContextSwitchTo(caller);
                pg_sys::MemoryContextDelete(context);
            })
            .execute()
    }
}
