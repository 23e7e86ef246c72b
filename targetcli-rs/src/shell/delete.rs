//! `delete`: removing what each node holds.

use super::{Command, Outcome, Params, Shell};
use crate::error::{Error, Result};
use crate::root::{SoRef, TargetRef, TpgRef};
use crate::target::canonical_ip;
use crate::tree::{Node, NodeKind};

impl Shell {
    /// `delete ...` at `node`.
    pub(super) fn delete(&mut self, cmd: &Command, node: &Node) -> Result<Outcome> {
        let root = &self.root;
        let msg = match &node.kind {
            NodeKind::Backstore(plugin) => {
                let p = Params::bind(cmd, delete_params(&node.kind))?;
                let name = p.need("name", "delete")?;
                root.delete_storage_object(&SoRef::new(*plugin, name), p.flag("force", false)?)?;
                format!("Deleted storage object {name}.")
            }
            NodeKind::Fabric(fabric) => {
                let p = Params::bind(cmd, delete_params(&node.kind))?;
                let wwn = crate::wwn::normalize(fabric.wwn_types, p.need("wwn", "delete")?)?.0;
                root.delete_target(&TargetRef {
                    fabric,
                    wwn: wwn.clone(),
                })?;
                format!("Deleted Target {wwn}.")
            }
            NodeKind::Target(t) if t.fabric.tpgts => {
                let p = Params::bind(cmd, delete_params(&node.kind))?;
                let tag = p.need_num("tag", "tpg", "delete")?;
                root.delete_tpg(&TpgRef {
                    target: t.clone(),
                    tag,
                })?;
                format!("Deleted TPGT {tag}.")
            }
            NodeKind::Luns(tpg) => {
                let p = Params::bind(cmd, delete_params(&node.kind))?;
                let lun = p.need_num("lun", "lun", "delete")?;
                root.delete_lun(tpg, lun, p.flag("force", false)?)?;
                format!("Deleted LUN {lun}.")
            }
            NodeKind::Acls(tpg) => {
                let p = Params::bind(cmd, delete_params(&node.kind))?;
                let wwn =
                    crate::wwn::normalize(tpg.target.fabric.wwn_types, p.need("wwn", "delete")?)?.0;
                root.delete_acl(tpg, &wwn)?;
                format!("Deleted Node ACL {wwn}.")
            }
            NodeKind::Acl(tpg, wwn) => {
                let p = Params::bind(cmd, delete_params(&node.kind))?;
                let m = p.need_num("mapped_lun", "mapped_lun", "delete")?;
                root.delete_mapped_lun(tpg, wwn, m)?;
                format!("Deleted Mapped LUN {m}.")
            }
            NodeKind::Portals(tpg) => {
                let p = Params::bind(cmd, delete_params(&node.kind))?;
                let ip = canonical_ip(p.need("ip_address", "delete")?)?;
                let port = p.port("ip_port")?;
                root.delete_portal(tpg, &ip, port)?;
                format!("Deleted network portal {ip}:{port}")
            }
            NodeKind::Alua(so) => {
                let p = Params::bind(cmd, delete_params(&node.kind))?;
                let name = p.need("name", "delete")?;
                root.delete_alua_group(so, name)?;
                format!("Deleted ALUA TPG {name}.")
            }
            _ => {
                return Err(Error::Usage(format!(
                    "nothing can be deleted at {}; see `help delete`",
                    node.name
                )))
            }
        };
        Ok(Outcome::msg(msg))
    }
}

/// The parameters of `delete` at a node, in positional order; the first
/// names a child of the node (empty: nothing can be deleted there).
pub fn delete_params(kind: &NodeKind) -> &'static [&'static str] {
    match kind {
        NodeKind::Backstore(_) => &["name", "force"],
        NodeKind::Fabric(_) | NodeKind::Acls(_) => &["wwn"],
        NodeKind::Target(t) if t.fabric.tpgts => &["tag"],
        NodeKind::Luns(_) => &["lun", "force"],
        NodeKind::Acl(..) => &["mapped_lun"],
        NodeKind::Portals(_) => &["ip_address", "ip_port"],
        NodeKind::Alua(_) => &["name"],
        _ => &[],
    }
}
