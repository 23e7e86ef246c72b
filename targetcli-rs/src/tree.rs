//! The targetcli view of the configfs tree: nodes with names, summaries
//! and kinds (for path resolution and `ls`), built from one reading of the
//! live tree, and its text rendering.

use serde::Serialize;

use crate::backstore::StorageObjectInfo;
use crate::cfs;
use crate::config::{Backend, Plugin, TpgConfig};
use crate::error::Result;
use crate::fabric::{Fabric, FABRICS};
use crate::root::{Root, SoRef, TargetRef, TpgRef};
use crate::size::human;

/// What a node stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum NodeKind {
    Root,
    Backstores,
    Backstore(Plugin),
    StorageObject(SoRef),
    Alua(SoRef),
    AluaGroup(SoRef, String),
    Fabric(&'static Fabric),
    /// A target; for fabrics with a single TPG it also stands for TPG 1.
    Target(TargetRef),
    Tpg(TpgRef),
    Luns(TpgRef),
    Lun(TpgRef, u32),
    Acls(TpgRef),
    Acl(TpgRef, String),
    MappedLun(TpgRef, String, u32),
    Portals(TpgRef),
    Portal(TpgRef, String, u16),
}

/// One node of the view.
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    /// Its name in paths.
    pub name: String,
    /// What `ls` shows in brackets.
    pub summary: String,
    /// Healthy (true), broken (false) or neither.
    pub ok: Option<bool>,
    /// Children, sorted by name as targetcli shows them.
    pub children: Vec<Node>,
    /// What it stands for.
    #[serde(skip)]
    pub kind: NodeKind,
}

impl Node {
    fn new(name: impl Into<String>, summary: impl Into<String>, kind: NodeKind) -> Node {
        Node {
            name: name.into(),
            summary: summary.into(),
            ok: None,
            children: Vec::new(),
            kind,
        }
    }

    /// A node that holds `children` and counts them: "`what`: N".
    fn group(name: impl Into<String>, what: &str, kind: NodeKind, children: Vec<Node>) -> Node {
        Node::new(name, format!("{what}: {}", children.len()), kind).with(children)
    }

    fn with(mut self, mut children: Vec<Node>) -> Node {
        children.sort_by_key(|c| natural_key(&c.name));
        self.children = children;
        self
    }

    /// The node at `path` (absolute, or relative to this node when it is
    /// the root), with its canonical path.
    pub fn find(&self, path: &str) -> Option<(&Node, String)> {
        let mut node = self;
        let mut canon = String::new();
        for part in path.split('/').filter(|p| !p.is_empty() && *p != ".") {
            node = node.children.iter().find(|c| c.name == part)?;
            canon.push('/');
            canon.push_str(&node.name);
        }
        if canon.is_empty() {
            canon.push('/');
        }
        Some((node, canon))
    }

    /// Renders the subtree as `ls` does, `depth` levels deep (None: all).
    pub fn render(&self, depth: Option<usize>, width: usize) -> String {
        self.lines(depth, width)
            .into_iter()
            .map(|(line, _)| line + "\n")
            .collect()
    }

    /// The lines of [`Node::render`], each with the path of its node (this
    /// node is `/`, as the root): what `cd` without a path picks from.
    pub fn lines(&self, depth: Option<usize>, width: usize) -> Vec<(String, String)> {
        let mut out = Vec::new();
        self.render_into(&mut out, "/", "", "  ", depth, width);
        out
    }

    /// `path` is this node's; `line` prefixes its line, `base` its
    /// children's lines.
    fn render_into(
        &self,
        out: &mut Vec<(String, String)>,
        path: &str,
        line: &str,
        base: &str,
        depth: Option<usize>,
        width: usize,
    ) {
        let summary = if self.summary.is_empty() {
            match self.ok {
                Some(true) => "OK".to_string(),
                Some(false) => "ERROR".to_string(),
                None => "...".to_string(),
            }
        } else {
            self.summary.clone()
        };
        let head = format!("{line}o- {} ", self.name);
        let tail = format!(" [{summary}]");
        // No room: no dots, as configshell-fb (`name  [summary]`).
        let dots = width.saturating_sub(head.chars().count() + tail.chars().count());
        out.push((
            format!("{head}{}{tail}", ".".repeat(dots)),
            path.to_string(),
        ));
        if depth == Some(0) {
            return;
        }
        let last = self.children.len().saturating_sub(1);
        for (i, c) in self.children.iter().enumerate() {
            let next = format!("{base}{}", if i < last { "| " } else { "  " });
            let sub = format!("{}/{}", path.trim_end_matches('/'), c.name);
            c.render_into(out, &sub, base, &next, depth.map(|d| d - 1), width);
        }
    }
}

/// A fabric's discovery authentication as targetcli-fb summarises it
/// ("1-way disc auth" or "mutual disc auth", healthy when a userid and a
/// password are set), when it is enforced.
fn discovery_auth_summary(root: &Root, fabric: &Fabric) -> Option<(&'static str, bool)> {
    if !fabric.discovery_auth {
        return None;
    }
    let dir = root.fabric_path(fabric).join("discovery_auth");
    let flag = |f: &str| {
        crate::cfs::read_opt(&dir.join(f))
            .and_then(|v| v.parse::<i64>().ok())
            .is_some_and(|v| v != 0)
    };
    if !flag("enforce_discovery_auth") {
        return None;
    }
    let set =
        |f: &str| crate::cfs::read_opt(&dir.join(f)).is_some_and(|v| !v.is_empty() && v != "NULL");
    let what = if flag("authenticate_target") {
        "mutual disc auth"
    } else {
        "1-way disc auth"
    };
    Some((what, set("userid") && set("password")))
}

/// Sorts "lun10" after "lun2", as people expect.
fn natural_key(s: &str) -> (String, u64) {
    let digits: String = s.chars().rev().take_while(|c| c.is_ascii_digit()).collect();
    let num: String = digits.chars().rev().collect();
    (
        s[..s.len() - num.len()].to_string(),
        num.parse().unwrap_or(0),
    )
}

fn so_summary(so: &StorageObjectInfo) -> String {
    let size = so.size.map(human).unwrap_or_else(|| "?".into());
    let wb = |b: bool| if b { "write-back" } else { "write-thru" };
    match &so.config.backend {
        Backend::Ramdisk { nullio, .. } => {
            format!(
                "{}({size}) {}",
                if *nullio { "nullio " } else { "" },
                so.status
            )
        }
        Backend::Fileio { write_back, .. } => {
            format!(
                "{} ({size}) {} {}",
                so.udev_path,
                wb(*write_back),
                so.status
            )
        }
        Backend::Block {
            readonly,
            write_back,
            ..
        } => format!(
            "{} ({size}) {}{} {}",
            so.udev_path,
            if *readonly { "ro " } else { "" },
            wb(*write_back),
            so.status
        ),
        Backend::Pscsi { .. } => format!("{} {}", so.udev_path, so.status),
        Backend::User { config, .. } => {
            let c = config
                .as_deref()
                .map(|c| c.split_once('/').map(|x| x.1).unwrap_or(c).to_string())
                .unwrap_or_else(|| "(no config)".into());
            format!("{c} ({size}) {}", so.status)
        }
    }
}

fn so_node(so: &StorageObjectInfo) -> Node {
    let r = so.so_ref();
    let groups: Vec<Node> = so
        .config
        .alua_tpgs
        .iter()
        .map(|g| {
            let state = crate::alua::STATE_NAMES
                .iter()
                .find(|(n, _)| *n == g.alua_access_state)
                .map(|(_, s)| *s)
                .unwrap_or("?");
            Node::new(
                &g.name,
                format!("ALUA state: {state}"),
                NodeKind::AluaGroup(r.clone(), g.name.clone()),
            )
        })
        .collect();
    let alua = Node::group("alua", "ALUA Groups", NodeKind::Alua(r.clone()), groups);
    let mut n =
        Node::new(&so.config.name, so_summary(so), NodeKind::StorageObject(r)).with(vec![alua]);
    n.ok = Some(true);
    n
}

fn tpg_summary(fabric: &Fabric, tpg: &TpgConfig, nexus: Option<String>) -> (String, Option<bool>) {
    let mut msg = Vec::new();
    if let Some(n) = nexus {
        msg.push(n);
    }
    if !tpg.enable {
        return ("disabled".into(), Some(false));
    }
    let attr = |n: &str| tpg.attributes.get(n).and_then(|v| v.as_i64()).unwrap_or(0) != 0;
    let mut ok = None;
    if fabric.acls {
        msg.push(
            if attr("generate_node_acls") {
                "gen-acls"
            } else {
                "no-gen-acls"
            }
            .into(),
        );
        if fabric.auth {
            if !attr("authentication") {
                msg.push("no-auth".into());
                if attr("generate_node_acls") {
                    ok = Some(true);
                }
            } else if !attr("generate_node_acls") {
                msg.push("auth per-acl".into());
            } else {
                msg.push("tpg-auth".into());
                ok = Some(tpg.chap.chap_userid.is_some() && tpg.chap.chap_password.is_some());
            }
        }
    }
    (msg.join(", "), ok)
}

fn tpg_children(
    root: &Root,
    tpg: &TpgRef,
    cfg: &TpgConfig,
    sos: &[StorageObjectInfo],
) -> Vec<Node> {
    let fabric = tpg.target.fabric;
    let mut out = Vec::new();
    let luns: Vec<Node> = cfg
        .luns
        .iter()
        .map(|l| {
            let so = SoRef::from_backstore_path(&l.storage_object);
            let info = so
                .as_ref()
                .and_then(|s| sos.iter().find(|i| &i.so_ref() == s));
            let mut d = l
                .storage_object
                .trim_start_matches("/backstores/")
                .to_string();
            if let Some(i) = info.filter(|i| !i.udev_path.is_empty()) {
                d.push_str(&format!(" ({})", i.udev_path));
            }
            d.push_str(&format!(
                " ({})",
                l.alua_tg_pt_gp_name.as_deref().unwrap_or("None")
            ));
            let mut n = Node::new(
                format!("lun{}", l.index),
                d,
                NodeKind::Lun(tpg.clone(), l.index),
            );
            n.ok = Some(info.is_some());
            n
        })
        .collect();
    out.push(Node::group(
        "luns",
        "LUNs",
        NodeKind::Luns(tpg.clone()),
        luns,
    ));
    if fabric.acls {
        let acls: Vec<Node> = cfg
            .node_acls
            .iter()
            .map(|a| {
                let mluns: Vec<Node> = a
                    .mapped_luns
                    .iter()
                    .map(|m| {
                        let target = cfg.luns.iter().find(|l| l.index == m.tpg_lun);
                        let d = match target {
                            Some(l) => format!(
                                "lun{} {} ({})",
                                m.tpg_lun,
                                l.storage_object.trim_start_matches("/backstores/"),
                                if m.write_protect { "ro" } else { "rw" }
                            ),
                            None => "BROKEN LUN LINK".into(),
                        };
                        let mut n = Node::new(
                            format!("mapped_lun{}", m.index),
                            d,
                            NodeKind::MappedLun(tpg.clone(), a.node_wwn.clone(), m.index),
                        );
                        n.ok = Some(target.is_some());
                        n
                    })
                    .collect();
                let mut msg = Vec::new();
                let attr =
                    |n: &str| cfg.attributes.get(n).and_then(|v| v.as_i64()).unwrap_or(0) != 0;
                if fabric.auth && attr("authentication") {
                    if attr("generate_node_acls") {
                        msg.push("auth via tpg".to_string());
                    } else if a.chap.chap_mutual_userid.is_some() {
                        msg.push("mutual auth".into());
                    } else {
                        msg.push("1-way auth".into());
                    }
                }
                msg.push(format!("Mapped LUNs: {}", mluns.len()));
                Node::new(
                    &a.node_wwn,
                    msg.join(", "),
                    NodeKind::Acl(tpg.clone(), a.node_wwn.clone()),
                )
                .with(mluns)
            })
            .collect();
        out.push(Node::group(
            "acls",
            "ACLs",
            NodeKind::Acls(tpg.clone()),
            acls,
        ));
    }
    if fabric.nps {
        let portals: Vec<Node> = cfg
            .portals
            .iter()
            .map(|p| {
                let mut n = Node::new(
                    format!("{}:{}", p.ip_address, p.port),
                    if p.iser {
                        "iser"
                    } else if p.offload {
                        "offload"
                    } else {
                        ""
                    },
                    NodeKind::Portal(tpg.clone(), p.ip_address.clone(), p.port),
                );
                n.ok = Some(true);
                n
            })
            .collect();
        out.push(Node::group(
            "portals",
            "Portals",
            NodeKind::Portals(tpg.clone()),
            portals,
        ));
    }
    let _ = root;
    out
}

/// Whether the tree shows a fabric that is not loaded (targetcli-fb lists
/// these whether or not their module is there).
fn shown_always(fabric: &Fabric) -> bool {
    matches!(fabric.name, "iscsi" | "loopback" | "vhost" | "xen-pvscsi")
}

/// Reads the live tree into the targetcli view.
pub fn build(root: &Root) -> Result<Node> {
    let sos = root.storage_objects()?;
    let backstores: Vec<Node> = Plugin::ALL
        .iter()
        .filter(|p| **p != Plugin::User || sos.iter().any(|s| s.config.backend.plugin() == **p))
        .map(|p| {
            let children: Vec<Node> = sos
                .iter()
                .filter(|s| s.config.backend.plugin() == *p)
                .map(so_node)
                .collect();
            Node::group(
                p.name(),
                "Storage Objects",
                NodeKind::Backstore(*p),
                children,
            )
        })
        .collect();
    let mut top = vec![Node::new("backstores", "...", NodeKind::Backstores).with(backstores)];
    for fabric in FABRICS {
        if !shown_always(fabric) && !root.fabric_path(fabric).is_dir() {
            continue;
        }
        let mut targets = Vec::new();
        for t in root.targets_of_fabric(fabric) {
            let cfg = root.target(&t)?;
            let node = if fabric.tpgts {
                let tpgs: Vec<Node> = cfg
                    .tpgs
                    .iter()
                    .map(|tc| {
                        let tpg = TpgRef {
                            target: t.clone(),
                            tag: tc.tag,
                        };
                        let (s, ok) = tpg_summary(fabric, tc, root.tpg_nexus(&tpg));
                        let mut n =
                            Node::new(format!("tpg{}", tc.tag), s, NodeKind::Tpg(tpg.clone()))
                                .with(tpg_children(root, &tpg, tc, &sos));
                        n.ok = ok;
                        n
                    })
                    .collect();
                Node::group(&t.wwn, "TPGs", NodeKind::Target(t.clone()), tpgs)
            } else {
                let tpg = TpgRef {
                    target: t.clone(),
                    tag: cfg.tpgs.first().map(|x| x.tag).unwrap_or(1),
                };
                match cfg.tpgs.first() {
                    Some(tc) => {
                        let (s, ok) = tpg_summary(fabric, tc, root.tpg_nexus(&tpg));
                        let mut n = Node::new(&t.wwn, s, NodeKind::Target(t.clone()))
                            .with(tpg_children(root, &tpg, tc, &sos));
                        n.ok = ok;
                        n
                    }
                    None => Node::new(&t.wwn, "no TPG", NodeKind::Target(t.clone())),
                }
            };
            targets.push(node);
        }
        let mut node = Node::group(fabric.name, "Targets", NodeKind::Fabric(fabric), targets);
        if let Some((auth, ok)) = discovery_auth_summary(root, fabric) {
            node.summary = format!("{auth}, {}", node.summary);
            node.ok = Some(ok);
        }
        top.push(node);
    }
    Ok(Node::new("/", "...", NodeKind::Root).with(top))
}

/// The children of a node of `kind` as [`build`] names and types them, as
/// stubs (no summary, no children of their own), from the directory
/// listings along the way: nothing else of the tree is read, so the cost
/// does not grow with the objects elsewhere.
pub fn children_of(root: &Root, kind: &NodeKind) -> Vec<Node> {
    let stub = |name: String, kind: NodeKind| Node::new(name, "", kind);
    let out: Vec<Node> = match kind {
        NodeKind::Root => {
            let mut top = vec![stub("backstores".into(), NodeKind::Backstores)];
            for fabric in FABRICS {
                if shown_always(fabric) || root.fabric_path(fabric).is_dir() {
                    top.push(stub(fabric.name.into(), NodeKind::Fabric(fabric)));
                }
            }
            top
        }
        NodeKind::Backstores => Plugin::ALL
            .iter()
            .filter(|p| **p != Plugin::User || root.has_storage_objects(Plugin::User))
            .map(|p| stub(p.name().into(), NodeKind::Backstore(*p)))
            .collect(),
        NodeKind::Backstore(p) => root
            .storage_object_dirs()
            .into_iter()
            .filter(|(q, _, _)| q == p)
            .map(|(_, name, _)| {
                let so = NodeKind::StorageObject(SoRef::new(*p, name.clone()));
                stub(name, so)
            })
            .collect(),
        NodeKind::StorageObject(so) => vec![stub("alua".into(), NodeKind::Alua(so.clone()))],
        NodeKind::Alua(so) => root
            .storage_object_path(so)
            .map(|path| crate::backstore::alua_group_names(&path))
            .unwrap_or_default()
            .into_iter()
            .map(|g| stub(g.clone(), NodeKind::AluaGroup(so.clone(), g)))
            .collect(),
        NodeKind::Fabric(fabric) => root
            .targets_of_fabric(fabric)
            .into_iter()
            .map(|t| stub(t.wwn.clone(), NodeKind::Target(t)))
            .collect(),
        NodeKind::Target(t) if t.fabric.tpgts => root
            .tpgs_of(t)
            .into_iter()
            .map(|tpg| stub(format!("tpg{}", tpg.tag), NodeKind::Tpg(tpg)))
            .collect(),
        NodeKind::Target(t) => match root.tpgs_of(t).first() {
            Some(tpg) => tpg_stubs(tpg),
            None => Vec::new(),
        },
        NodeKind::Tpg(tpg) => tpg_stubs(tpg),
        NodeKind::Luns(tpg) => root
            .lun_numbers(tpg)
            .into_iter()
            .map(|n| stub(format!("lun{n}"), NodeKind::Lun(tpg.clone(), n)))
            .collect(),
        NodeKind::Acls(tpg) => root
            .acl_names(tpg)
            .into_iter()
            .map(|wwn| stub(wwn.clone(), NodeKind::Acl(tpg.clone(), wwn)))
            .collect(),
        NodeKind::Acl(tpg, wwn) => root
            .mapped_lun_links(&root.acl_path(tpg, wwn))
            .into_iter()
            .map(|(index, ..)| {
                let kind = NodeKind::MappedLun(tpg.clone(), wwn.clone(), index);
                stub(format!("mapped_lun{index}"), kind)
            })
            .collect(),
        NodeKind::Portals(tpg) => cfs::subdirs(&root.tpg_path(tpg).join("np"))
            .into_iter()
            .filter_map(|np| {
                let (ip, port) = np.rsplit_once(':')?;
                let port: u16 = port.parse().ok()?;
                let kind = NodeKind::Portal(tpg.clone(), ip.to_string(), port);
                Some(stub(format!("{ip}:{port}"), kind))
            })
            .collect(),
        NodeKind::Lun(..)
        | NodeKind::MappedLun(..)
        | NodeKind::Portal(..)
        | NodeKind::AluaGroup(..) => Vec::new(),
    };
    let mut sorted = out;
    sorted.sort_by_key(|c| natural_key(&c.name));
    sorted
}

/// The stubs of a TPG's children: its LUNs, ACLs and portals groups, as
/// its fabric has them.
fn tpg_stubs(tpg: &TpgRef) -> Vec<Node> {
    let fabric = tpg.target.fabric;
    let mut out = vec![Node::new("luns", "", NodeKind::Luns(tpg.clone()))];
    if fabric.acls {
        out.push(Node::new("acls", "", NodeKind::Acls(tpg.clone())));
    }
    if fabric.nps {
        out.push(Node::new("portals", "", NodeKind::Portals(tpg.clone())));
    }
    out
}

/// The child of a node of `kind` named `name`, as [`children_of`] names
/// and types it (a stub), or None. Storage objects, LUNs, ACLs and mapped
/// LUNs, the kinds a large configuration has thousands of, are looked up
/// by name, without listing their siblings; the rest are few, and found in
/// [`children_of`]'s list.
pub fn child_named(root: &Root, kind: &NodeKind, name: &str) -> Option<Node> {
    let stub = |kind: NodeKind| Some(Node::new(name, "", kind));
    match kind {
        NodeKind::Backstore(plugin) => {
            let so = SoRef::new(*plugin, name);
            root.storage_object_path(&so)?;
            stub(NodeKind::StorageObject(so))
        }
        NodeKind::Luns(tpg) => {
            let n = canonical_number(name, "lun")?;
            root.lun_path(tpg, n)
                .is_dir()
                .then(|| stub(NodeKind::Lun(tpg.clone(), n)))?
        }
        NodeKind::Acls(tpg) => {
            // The name the listing gives the ACL's directory, and no other
            // spelling of it.
            let fabric = tpg.target.fabric;
            let dir = fabric.to_dir_name(name);
            (fabric.from_dir_name(&dir) == name && root.acl_path(tpg, name).is_dir())
                .then(|| stub(NodeKind::Acl(tpg.clone(), name.to_string())))?
        }
        NodeKind::Acl(tpg, wwn) => {
            let index = canonical_number(name, "mapped_lun")?;
            root.mapped_lun_link(&root.acl_path(tpg, wwn), index)?;
            stub(NodeKind::MappedLun(tpg.clone(), wwn.clone(), index))
        }
        _ => children_of(root, kind).into_iter().find(|c| c.name == name),
    }
}

/// N of a name `<prefix>N` spelt as the tree spells it (no sign, no
/// leading zero).
fn canonical_number(name: &str, prefix: &str) -> Option<u32> {
    let n: u32 = name.strip_prefix(prefix)?.parse().ok()?;
    (format!("{prefix}{n}") == name).then_some(n)
}

/// The node at `path` (absolute), with its canonical path, as
/// [`Node::find`] finds it in [`build`]'s tree, but reading only what
/// names each step along the path (see [`child_named`]): the node has its
/// kind, but no summary and no children (see [`children_of`]). What every
/// command but `ls` and `status` needs, at a cost that does not grow with
/// the size of the rest of the tree.
pub fn locate(root: &Root, path: &str) -> Option<(Node, String)> {
    let mut node = Node::new("/", "", NodeKind::Root);
    let mut canon = String::new();
    for part in path.split('/').filter(|p| !p.is_empty() && *p != ".") {
        node = child_named(root, &node.kind, part)?;
        canon.push('/');
        canon.push_str(&node.name);
    }
    if canon.is_empty() {
        canon.push('/');
    }
    Some((node, canon))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Node {
        let a = Node::new("a", "A: 1", NodeKind::Backstores).with(vec![
            Node::new("lun10", "x", NodeKind::Backstores),
            Node::new("lun2", "y", NodeKind::Backstores),
        ]);
        Node::new("/", "...", NodeKind::Root)
            .with(vec![a, Node::new("b", "", NodeKind::Backstores)])
    }

    /// A tree with a node of every kind: the fixture's ramdisks and iSCSI
    /// TPG, plus an ALUA group, LUNs, ACLs with mapped LUNs, a portal, a
    /// loopback target (one TPG, no TPG level) and an FC-style target
    /// whose ACL directories are not their WWNs.
    fn every_kind() -> (tempfile::TempDir, crate::shell::Shell) {
        use crate::test_tree::{self, IQN};
        let (d, sh) = test_tree::shell();
        let root = sh.root();
        let rd = |n: &str| SoRef::new(Plugin::Ramdisk, n);
        let iscsi = TpgRef::new(Fabric::by_name("iscsi").unwrap(), IQN, 1);
        // What the kernel makes for an ALUA group; the test tree has no
        // kernel to make its files.
        let g1 = root.path().join("core/rd_mcp_0/rd0/alua/g1");
        std::fs::create_dir_all(&g1).unwrap();
        std::fs::write(g1.join("tg_pt_gp_id"), "2").unwrap();
        // A stray directory with no group id is no group.
        std::fs::create_dir_all(root.path().join("core/rd_mcp_0/rd0/alua/junk")).unwrap();
        root.create_lun(&iscsi, Some(0), &rd("rd0"), None).unwrap();
        root.create_lun(&iscsi, Some(10), &rd("rd1"), None).unwrap();
        let acl = root
            .create_acl(&iscsi, "iqn.1994-05.com.example:i1")
            .unwrap();
        root.create_acl(&iscsi, "iqn.1994-05.com.example:i2")
            .unwrap();
        // A mapped LUN as the kernel has it: its directory (with a
        // write_protect file, which the test tree has no kernel to make),
        // then the link.
        let map = |tpg: &TpgRef, acl: &str, index: u32, lun: u32| {
            let dir = root.acl_path(tpg, acl).join(format!("lun_{index}"));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("write_protect"), "0").unwrap();
            std::os::unix::fs::symlink(root.lun_path(tpg, lun), dir.join("link")).unwrap();
        };
        map(&iscsi, &acl, 0, 0);
        map(&iscsi, &acl, 3, 10);
        // Not a mapped LUN without its link.
        std::fs::create_dir_all(root.acl_path(&iscsi, &acl).join("lun_7")).unwrap();
        root.create_portal(&iscsi, "0.0.0.0", 3260).unwrap();
        let loop_t = root
            .create_target(Fabric::by_name("loopback").unwrap(), None)
            .unwrap();
        // TPGs as the kernel makes them (the test tree has no kernel to
        // give a loopback TPG its nexus file).
        let tpg_of = |t: &TargetRef| {
            let tpg = TpgRef::new(t.fabric, &t.wwn, 1);
            for sub in ["lun", "acls"] {
                std::fs::create_dir_all(root.tpg_path(&tpg).join(sub)).unwrap();
            }
            tpg
        };
        let loop_tpg = tpg_of(&loop_t);
        root.create_lun(&loop_tpg, Some(0), &rd("rd0"), None)
            .unwrap();
        let qla = root
            .create_target(
                Fabric::by_name("qla2xxx").unwrap(),
                Some("naa.2100001b32000001"),
            )
            .unwrap();
        let qla_tpg = tpg_of(&qla);
        root.create_lun(&qla_tpg, Some(0), &rd("rd1"), None)
            .unwrap();
        let qacl = root.create_acl(&qla_tpg, "naa.2100001b32000002").unwrap();
        map(&qla_tpg, &qacl, 0, 0);
        (d, sh)
    }

    fn kinds_and_names(nodes: &[Node]) -> Vec<(String, NodeKind)> {
        nodes
            .iter()
            .map(|n| (n.name.clone(), n.kind.clone()))
            .collect()
    }

    #[test]
    fn locate_agrees_with_build_on_every_node() {
        let (_d, sh) = every_kind();
        let root = sh.root();
        let tree = build(root).unwrap();
        let mut kinds = std::collections::BTreeSet::new();
        for (_, path) in tree.lines(None, 80) {
            let (full, canon) = tree.find(&path).unwrap();
            let (stub, stub_canon) = locate(root, &path).unwrap_or_else(|| panic!("{path}"));
            assert_eq!(stub_canon, canon, "{path}");
            assert_eq!(stub.kind, full.kind, "{path}");
            assert!(stub.children.is_empty(), "{path}");
            assert_eq!(
                kinds_and_names(&children_of(root, &stub.kind)),
                kinds_and_names(&full.children),
                "the children of {path}"
            );
            // Each child is found by name as its listing names it.
            for c in &full.children {
                let found = child_named(root, &stub.kind, &c.name)
                    .unwrap_or_else(|| panic!("{path}: {}", c.name));
                assert_eq!(found.kind, c.kind, "{path}: {}", c.name);
            }
            kinds.insert(
                format!("{:?}", full.kind)
                    .split('(')
                    .next()
                    .unwrap()
                    .to_string(),
            );
        }
        // The fixture has a node of every kind (and a loopback target
        // stands for its TPG: its children are the TPG's).
        assert_eq!(kinds.len(), 16, "{kinds:?}");
        assert!(locate(root, "/backstores/ramdisk/rd9").is_none());
        // Only the spelling the listing gives finds a node.
        let tpg1 = format!("/iscsi/{}/tpg1", crate::test_tree::IQN);
        assert!(locate(root, &format!("{tpg1}/luns/lun10")).is_some());
        for bad in ["luns/lun010", "luns/lun+10", "luns/lun", "luns/lun_10"] {
            assert!(locate(root, &format!("{tpg1}/{bad}")).is_none(), "{bad}");
        }
        assert!(locate(root, "/backstores/rd_mcp").is_none());
        assert!(locate(root, "/backstores/user").is_none());
        assert!(locate(root, &format!("/iscsi/{}/tpg2", crate::test_tree::IQN)).is_none());
        assert_eq!(locate(root, "/").unwrap().1, "/");
    }

    #[test]
    fn locate_reads_nothing_off_its_path() {
        // A LUN whose link is broken makes the whole tree unreadable (its
        // storage object cannot be named), but not a path that does not
        // pass through its TPG: `locate` reads only along the path.
        let (_d, mut sh) = every_kind();
        let tpg = TpgRef::new(Fabric::by_name("iscsi").unwrap(), crate::test_tree::IQN, 1);
        let root = sh.root();
        let lun = root.lun_path(&tpg, 0);
        for l in crate::cfs::links(&lun) {
            std::fs::remove_file(lun.join(l)).unwrap();
        }
        assert!(build(root).is_err());
        let (n, _) = locate(root, "/backstores/ramdisk").unwrap();
        assert_eq!(n.kind, NodeKind::Backstore(Plugin::Ramdisk));
        assert_eq!(children_of(root, &n.kind).len(), 2);
        // So does the shell for every command but `ls` and `status`.
        sh.run_line("cd /backstores/ramdisk/rd1").unwrap();
        assert_eq!(sh.cwd(), "/backstores/ramdisk/rd1");
        assert!(sh.run_line("ls /").is_err());
    }

    #[test]
    fn finds_paths() {
        let t = sample();
        let (n, canon) = t.find("/a//lun2/").unwrap();
        assert_eq!((n.name.as_str(), canon.as_str()), ("lun2", "/a/lun2"));
        assert_eq!(t.find("/").unwrap().1, "/");
        assert!(t.find("/a/lun3").is_none());
    }

    #[test]
    fn renders_like_targetcli() {
        let out = sample().render(None, 40);
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines[0].starts_with("o- / ....") && lines[0].ends_with(". [...]"),
            "{out}"
        );
        assert!(
            lines[1].starts_with("  o- a ....") && lines[1].ends_with(". [A: 1]"),
            "{out}"
        );
        // a has a sibling after it: its children hang on a bar.
        assert!(lines[2].starts_with("  | o- lun2 "), "{out}");
        assert!(
            lines[4].starts_with("  o- b ") && lines[4].ends_with(" [...]"),
            "{out}"
        );
        // Natural order: lun2 before lun10.
        assert!(
            lines[2].contains("lun2") && lines[3].contains("lun10"),
            "{out}"
        );
        assert!(lines.iter().all(|l| l.chars().count() == 40), "{out}");
        assert_eq!(sample().render(Some(0), 40).lines().count(), 1);
    }

    #[test]
    fn no_room_means_no_dots() {
        // configshell-fb: a line that does not fit has no dots, two spaces.
        let out = sample().render(None, 10);
        assert_eq!(out.lines().nth(1), Some("  o- a  [A: 1]"), "{out}");
    }

    #[test]
    fn lines_carry_their_paths() {
        let t = sample();
        let paths: Vec<String> = t.lines(None, 40).into_iter().map(|(_, p)| p).collect();
        assert_eq!(paths, ["/", "/a", "/a/lun2", "/a/lun10", "/b"]);
        let lines: Vec<String> = t.lines(None, 40).into_iter().map(|(l, _)| l).collect();
        assert_eq!(lines.join("\n") + "\n", t.render(None, 40));
        // Every path is one `find` knows.
        for p in &paths {
            assert_eq!(&t.find(p).unwrap().1, p);
        }
    }
}
