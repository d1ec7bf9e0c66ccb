//! The key under which a lookup result is reused: two statements with equal
//! keys see the same assistants.

use crate::{assistants, own_writes, unguarded};
use pgrx::pg_sys;

/// What decides which assistants a statement sees.
///
/// The main part is which other transactions the snapshot counts as running:
/// its xmin, xmax and the lengths of its lists of running transaction ids.
/// No transaction below xmax can start after the snapshot is taken, so a
/// later snapshot with the same xmax sees another transaction's changes only
/// if that transaction left the lists, which makes them shorter.
/// (PostgreSQL's own count of completed transactions is not kept in the copy
/// that becomes the active snapshot.)
///
/// The rest covers this backend's own changes. `attached` changes when the
/// attached table or its triggers change, `writes` with each statement of
/// this backend that writes the assistants table. While the current
/// transaction writes that table (`own_writes`), `own` adds the transaction,
/// the subtransaction (a rollback to a savepoint starts a new one) and the
/// command counter. Otherwise the commands and transactions of a session
/// that see the same other transactions see the same assistants, and share
/// a result.
#[derive(Clone, Copy, PartialEq)]
pub struct SnapshotKey {
    attached: u64,
    writes: u64,
    own: Option<OwnChanges>,
    xmin: u32,
    xmax: u32,
    running: u32,
    running_subtransactions: i32,
    subtransactions_overflowed: bool,
}

#[derive(Clone, Copy, PartialEq)]
struct OwnChanges {
    transaction: u32,
    subtransaction: u32,
    command: u32,
}

/// Returns the key of the active snapshot, or None when there is no active
/// MVCC snapshot.
pub fn current() -> Option<SnapshotKey> {
    // SAFETY: reads the active snapshot and the transaction state, both
    // valid while a statement runs.
    unsafe {
        if !unguarded::ActiveSnapshotSet() {
            return None;
        }
        let snapshot = &*unguarded::GetActiveSnapshot();
        // Historic snapshots of logical decoding list committed transactions instead.
        if snapshot.snapshot_type != pg_sys::SnapshotType::SNAPSHOT_MVCC {
            return None;
        }
        let attached = assistants::attached_generation();
        let own = own_writes::possible(attached).then(|| OwnChanges {
            transaction: unguarded::GetTopTransactionIdIfAny().into_inner(),
            subtransaction: unguarded::GetCurrentSubTransactionId(),
            command: snapshot.curcid,
        });
        Some(SnapshotKey {
            attached,
            writes: own_writes::count(),
            own,
            xmin: snapshot.xmin.into_inner(),
            xmax: snapshot.xmax.into_inner(),
            running: snapshot.xcnt,
            running_subtransactions: snapshot.subxcnt,
            subtransactions_overflowed: snapshot.suboverflowed,
        })
    }
}
