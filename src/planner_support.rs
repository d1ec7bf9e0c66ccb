//! The planner support function of `in_organization`. It tells the planner
//! two things the function call hides:
//!
//! - the call is equivalent to `column = ANY (org_rls.assistant_ids())`, so a
//!   btree index that leads with the tenant column can find the rows of the
//!   organization, with the ids computed once per scan;
//! - how many rows that is: the current organization's number of assistants
//!   over the column's number of distinct values.
//!
//! When the query already fixes the column to one value (`tenant_id = $1`),
//! no index condition is offered, because that equality is the better one,
//! and the call stays a per-row check that is estimated to keep every row.

use pgrx::pg_sys::{self, Node, NodeTag};
use pgrx::prelude::*;
use pgrx::{Internal, PgList};
use std::ffi::c_void;
use std::ptr::null_mut;

/// Handles a planner support request for `in_organization`. Returning NULL
/// declines the request.
#[pg_extern(immutable, parallel_safe, name = "_in_organization_support")]
fn in_organization_support(request: Internal) -> Internal {
    let node = request
        .unwrap()
        .map_or(null_mut(), |datum| datum.cast_mut_ptr::<Node>());
    // SAFETY: PostgreSQL calls a support function with a request node.
    let answer = unsafe {
        match node.as_ref().map(|node| node.type_) {
            Some(NodeTag::T_SupportRequestIndexCondition) => index_condition(&mut *node.cast()),
            Some(NodeTag::T_SupportRequestSelectivity) => selectivity(&mut *node.cast()),
            _ => null_mut(),
        }
    };
    Internal::from(Some(pg_sys::Datum::from(answer)))
}

/// Returns a one-element list holding `column = ANY (assistant_ids())`, or
/// NULL when the index cannot use it or should not.
unsafe fn index_condition(request: &mut pg_sys::SupportRequestIndexCondition) -> *mut c_void {
    unsafe {
        // A ScalarArrayOpExpr on a lower column would make the planner trust
        // an order the scan does not keep, so only the first column counts.
        if request.indexcol != 0 || (*request.index).relam != pg_sys::BTREE_AM_OID {
            return null_mut();
        }
        let Some(column) = first_argument(request.node) else {
            return null_mut();
        };
        let equality = pg_sys::get_opfamily_member(
            request.opfamily,
            pg_sys::UUIDOID,
            pg_sys::UUIDOID,
            pg_sys::BTEqualStrategyNumber as i16,
        );
        if equality == pg_sys::InvalidOid
            || has_equality((*request.index).rel, column, request.opfamily)
        {
            return null_mut();
        }
        let Some(ids) = assistant_ids_call(request.funcid) else {
            return null_mut();
        };
        mark_as_exact(request.index, request.node);
        let mut any = PgBox::<pg_sys::ScalarArrayOpExpr>::alloc_node(NodeTag::T_ScalarArrayOpExpr);
        any.opno = equality;
        any.opfuncid = pg_sys::get_opcode(equality);
        any.useOr = true;
        any.args = pg_sys::lappend(
            pg_sys::lappend(null_mut(), pg_sys::copyObjectImpl(column.cast())),
            ids.cast(),
        );
        any.location = -1;
        request.lossy = false;
        pg_sys::lappend(null_mut(), any.into_pg().cast()).cast()
    }
}

/// Gives the restriction `clause` of the index's table an equivalence class
/// of its own, so that a bitmap heap scan whose bitmap comes from the index
/// condition returned here does not test each row again.
///
/// PostgreSQL 15 drops an exact index condition's clause from plain and
/// index-only scans. In a bitmap heap scan it drops the clause only when it
/// equals an index condition or shares its equivalence class, and otherwise
/// keeps it as a per-row filter. With the class, the call is only the scan's
/// recheck condition, evaluated on the rows of lossy bitmap pages. A BitmapOr
/// passes no classes up, so a bitmap that ORs this condition keeps the filter.
///
/// NOTE: this assumes that PostgreSQL 15 reads the class of a restriction
/// only to compare it with other clauses' classes, which no other clause
/// shares here. The plans and lossy-page results of
/// tests/pg_regress/sql/bitmap_recheck.sql check the cases it covers.
unsafe fn mark_as_exact(index: *mut pg_sys::IndexOptInfo, clause: *mut Node) {
    unsafe {
        let restrictions =
            PgList::<pg_sys::RestrictInfo>::from_pg((*(*index).rel).baserestrictinfo);
        for restriction in restrictions.iter_ptr() {
            if (*restriction).clause.cast::<Node>() == clause && (*restriction).parent_ec.is_null()
            {
                (*restriction).parent_ec =
                    PgBox::<pg_sys::EquivalenceClass>::alloc_node(NodeTag::T_EquivalenceClass)
                        .into_pg();
            }
        }
    }
}

/// True when a restriction of `relation` that may become an index condition
/// already compares `column` with one value.
unsafe fn has_equality(
    relation: *mut pg_sys::RelOptInfo,
    column: *mut Node,
    opfamily: pg_sys::Oid,
) -> bool {
    unsafe {
        let restrictions = PgList::<pg_sys::RestrictInfo>::from_pg((*relation).baserestrictinfo);
        let found = restrictions.iter_ptr().any(|restriction| {
            pg_sys::restriction_is_securely_promotable(restriction, relation)
                && fixes_column((*restriction).clause.cast(), column, opfamily)
        });
        found
    }
}

/// True when `clause` is `column = expression` or `expression = column` with
/// an equality of `opfamily` and an expression free of columns and volatile
/// functions.
unsafe fn fixes_column(clause: *mut Node, column: *mut Node, opfamily: pg_sys::Oid) -> bool {
    unsafe {
        if (*clause).type_ != NodeTag::T_OpExpr {
            return false;
        }
        let operator = &*clause.cast::<pg_sys::OpExpr>();
        let arguments = PgList::<Node>::from_pg(operator.args);
        if arguments.len() != 2
            || pg_sys::get_op_opfamily_strategy(operator.opno, opfamily)
                != pg_sys::BTEqualStrategyNumber as i32
        {
            return false;
        }
        let (left, right) = (arguments.get_ptr(0).unwrap(), arguments.get_ptr(1).unwrap());
        let target = strip_relabel(column);
        let other = if pg_sys::equal(strip_relabel(left).cast(), target.cast()) {
            right
        } else if pg_sys::equal(strip_relabel(right).cast(), target.cast()) {
            left
        } else {
            return false;
        };
        !pg_sys::contain_var_clause(other) && !pg_sys::contain_volatile_functions(other)
    }
}

/// Sets the selectivity to the current organization's share of the
/// column's distinct values, at least one value's. When the query already
/// fixes the column to one value, the policy keeps all of those rows or none,
/// and the selectivity is 1: an application queries its own assistants.
unsafe fn selectivity(request: &mut pg_sys::SupportRequestSelectivity) -> *mut c_void {
    unsafe {
        if request.is_join || request.args.is_null() {
            return null_mut();
        }
        let column = PgList::<Node>::from_pg(request.args).get_ptr(0).unwrap();
        if let Some(relation) = base_relation(request.root, column) {
            let uuid_btree = pg_sys::get_opclass_family(pg_sys::GetDefaultOpClass(
                pg_sys::UUIDOID,
                pg_sys::BTREE_AM_OID,
            ));
            if has_equality(relation, column, uuid_btree) {
                request.selectivity = 1.0;
                return (request as *mut pg_sys::SupportRequestSelectivity).cast();
            }
        }
        let mut statistics = pg_sys::VariableStatData::default();
        pg_sys::examine_variable(request.root, column, request.varRelid, &mut statistics);
        let mut is_default = false;
        let distinct = pg_sys::get_variable_numdistinct(&mut statistics, &mut is_default);
        if !statistics.statsTuple.is_null() {
            if let Some(free) = statistics.freefunc {
                free(statistics.statsTuple);
            }
        }
        let assistants = crate::assistants::current_ids().len().max(1) as f64;
        request.selectivity = (assistants / distinct.max(1.0)).min(1.0);
        (request as *mut pg_sys::SupportRequestSelectivity).cast()
    }
}

/// Returns the base relation of `column` when it is a column of one.
unsafe fn base_relation(
    root: *mut pg_sys::PlannerInfo,
    column: *mut Node,
) -> Option<*mut pg_sys::RelOptInfo> {
    unsafe {
        let column = strip_relabel(column);
        if root.is_null() || (*column).type_ != NodeTag::T_Var {
            return None;
        }
        let var = &*column.cast::<pg_sys::Var>();
        if var.varlevelsup != 0 || var.varno <= 0 || var.varno >= (*root).simple_rel_array_size {
            return None;
        }
        let relation = *(*root).simple_rel_array.add(var.varno as usize);
        (!relation.is_null()).then_some(relation)
    }
}

unsafe fn first_argument(call: *mut Node) -> Option<*mut Node> {
    unsafe {
        if (*call).type_ != NodeTag::T_FuncExpr {
            return None;
        }
        PgList::<Node>::from_pg((*call.cast::<pg_sys::FuncExpr>()).args).get_ptr(0)
    }
}

unsafe fn strip_relabel(mut node: *mut Node) -> *mut Node {
    unsafe {
        while (*node).type_ == NodeTag::T_RelabelType {
            node = (*node.cast::<pg_sys::RelabelType>()).arg.cast();
        }
        node
    }
}

/// Returns a call of `assistant_ids()` from the schema of `in_organization`.
unsafe fn assistant_ids_call(in_organization: pg_sys::Oid) -> Option<*mut pg_sys::FuncExpr> {
    unsafe {
        let schema = pg_sys::get_namespace_name(pg_sys::get_func_namespace(in_organization));
        if schema.is_null() {
            return None;
        }
        let mut name = null_mut();
        name = pg_sys::lappend(name, pg_sys::makeString(schema).cast());
        name = pg_sys::lappend(
            name,
            pg_sys::makeString(pg_sys::pstrdup(c"assistant_ids".as_ptr())).cast(),
        );
        let function = pg_sys::LookupFuncName(name, 0, std::ptr::null(), true);
        (function != pg_sys::InvalidOid).then(|| {
            pg_sys::makeFuncExpr(
                function,
                pg_sys::UUIDARRAYOID,
                null_mut(),
                pg_sys::InvalidOid,
                pg_sys::InvalidOid,
                pg_sys::CoercionForm::COERCE_EXPLICIT_CALL,
            )
        })
    }
}
