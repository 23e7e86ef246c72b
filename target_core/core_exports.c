// SPDX-License-Identifier: GPL-2.0
/*
 * The C ABI that tcm_rs_core exports to fabric and backstore modules.
 *
 * The functions are written in Rust (`#[no_mangle] extern "C"`, see abi.rs);
 * this file declares them for C and exports them, since EXPORT_SYMBOL_GPL is
 * a C macro. Every export is versioned through tcm_rs_core_abi_version(): a
 * module built against another major version refuses to load.
 */
#include <linux/export.h>
#include <linux/module.h>
#include <linux/types.h>

u32 tcm_rs_core_abi_version(void);
EXPORT_SYMBOL_GPL(tcm_rs_core_abi_version);

struct tcm_rs_backstore_ops;
int tcm_rs_register_backstore(const struct tcm_rs_backstore_ops *ops);
void tcm_rs_unregister_backstore(const struct tcm_rs_backstore_ops *ops);
EXPORT_SYMBOL_GPL(tcm_rs_register_backstore);
EXPORT_SYMBOL_GPL(tcm_rs_unregister_backstore);
void tcm_rs_backstore_rw_done(void *token, int err);
EXPORT_SYMBOL_GPL(tcm_rs_backstore_rw_done);

struct config_item;
struct tcm_rs_fabric_ops;
int tcm_rs_register_fabric(const struct tcm_rs_fabric_ops *ops);
void tcm_rs_unregister_fabric(const struct tcm_rs_fabric_ops *ops);
void *tcm_rs_fabric_item_cookie(struct config_item *item);
void *tcm_rs_session_register(void *core_tpg, const char *initiator);
void *tcm_rs_session_register_isid(void *core_tpg, const char *initiator, const u8 *isid);
void tcm_rs_session_deregister(void *core_tpg, void *session);
const char *tcm_rs_session_initiator(void *session);
EXPORT_SYMBOL_GPL(tcm_rs_register_fabric);
EXPORT_SYMBOL_GPL(tcm_rs_unregister_fabric);
EXPORT_SYMBOL_GPL(tcm_rs_fabric_item_cookie);
EXPORT_SYMBOL_GPL(tcm_rs_session_register);
EXPORT_SYMBOL_GPL(tcm_rs_session_register_isid);
EXPORT_SYMBOL_GPL(tcm_rs_session_deregister);
EXPORT_SYMBOL_GPL(tcm_rs_session_initiator);
struct tcm_rs_lun_limits;
int tcm_rs_tpg_lun_limits(void *core_tpg, u64 lun, struct tcm_rs_lun_limits *out);
EXPORT_SYMBOL_GPL(tcm_rs_tpg_lun_limits);

struct tcm_rs_command;
int tcm_rs_cmd_execute(void *core_tpg, void *session, struct tcm_rs_command *cmd);
EXPORT_SYMBOL_GPL(tcm_rs_cmd_execute);
u8 tcm_rs_tmf_execute(void *core_tpg, void *session, u64 lun, u8 function);
EXPORT_SYMBOL_GPL(tcm_rs_tmf_execute);
