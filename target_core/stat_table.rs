// SPDX-License-Identifier: GPL-2.0

//! The shape every SCSI MIB table in `statistics/` has: a directory of
//! read-only files (0444, as LIO's), each one formatted line, shown by a
//! handler that may first find what it shows or fail (ENODEV while a LUN
//! exports no device, as LIO). [`stat_table!`] writes the node type, its
//! configfs attribute table and one handler per file from a list of the
//! files and what they show; device_stats.rs and lun_stats.rs declare
//! their tables with it.

/// Declares a statistics table: a struct holding one field, and its
/// configfs type with one read-only attribute per file listed. A file's
/// handler is an associated function named after the file; it runs the
/// table's `let` statements, then the file's own (in brackets), then
/// writes its format string with its arguments. The statements may
/// return an error with `?`: a read of the file fails with it. `t` (named
/// between the bars) is the table in all of them. Files are listed in
/// the order configfs shows them.
///
/// ```ignore
/// stat_table! {
///     /// `statistics/scsi_port/`: scsiPortTable.
///     pub(crate) struct ScsiPort { lun: Arc<LunState> }
///     |t| let d = port_device(&t.lun)?;
///     {
///         dev [let c = d.config.lock();]: "{}\n", c.index;
///         inst: "{}\n", d.hba_instance;
///         /// scsiPortBusyStatuses: 0, as LIO.
///         busy_count: "0\n";
///     }
/// }
/// ```
macro_rules! stat_table {
    (
        $(#[$meta:meta])*
        $vis:vis struct $ty:ident { $field:ident : $fty:ty $(,)? }
        |$t:ident| $(let $g:pat = $guard:expr;)*
        { $($files:tt)* }
    ) => {
        $(#[$meta])*
        $vis struct $ty {
            $field: $fty,
        }

        // The table's statements go as one group into each handler.
        $crate::stat_table::stat_table!(@files $ty, $t, [$(let $g = $guard;)*], $($files)*);
    };
    (
        @files $ty:ident, $t:ident, $lets:tt,
        $(
            $(#[$file_meta:meta])*
            $name:ident $([ $(let $fg:pat = $fguard:expr;)+ ])? : $fmt:tt $(, $arg:expr)* ;
        )*
    ) => {
        impl $ty {
            $(
                $(#[$file_meta])*
                // A table's statements find what some of its files show
                // and check what all of them need: not every file uses
                // each binding.
                #[allow(unused_variables)]
                fn $name(
                    $t: &Self,
                    page: &mut $crate::configfs::Page<'_>,
                ) -> ::kernel::prelude::Result {
                    $crate::stat_table::stat_table!(@lets $lets);
                    $($(let $fg = $fguard;)+)?
                    // A statement, not the tail: its temporaries (a lock's
                    // guard) go before the bindings they borrow from.
                    page.emit(::kernel::prelude::fmt!($fmt $(, $arg)*))?;
                    Ok(())
                }
            )*
        }

        $crate::configfs::configfs_node_type! {
            $ty {
                children: false,
                attrs: [ $( $name: ro($ty::$name) ),* ],
            }
        }
    };
    (@lets [$(let $g:pat = $guard:expr;)*]) => {
        $(let $g = $guard;)*
    };
}
pub(crate) use stat_table;
