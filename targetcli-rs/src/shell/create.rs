//! `create`: the objects each node can make, with targetcli-fb's defaults.

use std::collections::BTreeMap;

use serde_json::json;

use super::{Command, Outcome, Params, Shell};
use crate::config::{attr_value, Backend, Plugin, StorageObjectConfig};
use crate::error::{Error, Result};
use crate::path;
use crate::root::{SoRef, TpgRef};
use crate::size::parse_size;
use crate::tree::{self, Node, NodeKind};

impl Shell {
    /// `create ...` at `node` (at `canon`); the bookmark `last` then names
    /// what it made and, as the `auto_cd_after_create` preference says, the
    /// shell moves there.
    pub(super) fn create(&mut self, cmd: &Command, node: &Node, canon: &str) -> Result<Outcome> {
        let (mut out, made) = self.create_at(cmd, node)?;
        if let Some(new) = self.created_node(node, canon, &made) {
            // As targetcli-fb, `@last` marks what was made last. The object
            // exists now: a preferences file that cannot be written must
            // not turn that into a failure.
            let _ = self.prefs.set_bookmark("last", &new);
            if self.prefs.flag("auto_cd_after_create") {
                out.text.push(format!("Entering new node {new}"));
                self.go(new);
            }
        }
        Ok(out)
    }

    /// Makes what `cmd` asks for at `node`; returns the outcome and the
    /// name of the child of `node` that was made.
    fn create_at(&mut self, cmd: &Command, node: &Node) -> Result<(Outcome, String)> {
        let root = &self.root;
        match &node.kind {
            NodeKind::Backstore(plugin) => {
                let (backend, name, extra) = backstore_create_args(*plugin, cmd)?;
                let mut attributes = BTreeMap::new();
                if extra.model_alias && self.prefs.flag("export_backstore_name_as_model") {
                    attributes.insert("emulate_model_alias".to_string(), attr_value("1"));
                }
                let so = StorageObjectConfig {
                    name: name.clone(),
                    attributes,
                    alua_tpgs: vec![],
                    backend,
                };
                if let Backend::Fileio { dev, size, .. } = &so.backend {
                    crate::backstore::prepare_backing_file(dev, *size, extra.sparse)?;
                }
                root.create_storage_object(&so)?;
                let text = format!("Created {} storage object {name}.", plugin.name());
                Ok((Outcome::msg(text), name))
            }
            NodeKind::Fabric(fabric) => {
                let p = Params::bind(cmd, create_params(&node.kind))?;
                let t = root.create_target(fabric, p.get("wwn"))?;
                let mut text = vec![format!("Created target {}.", t.wwn)];
                let made = (|| -> Result<()> {
                    let tpg = root.create_tpg(&t, Some(1))?;
                    text.extend(self.setup_new_tpg(&tpg)?);
                    Ok(())
                })();
                if let Err(e) = made {
                    let _ = root.delete_target(&t);
                    return Err(e);
                }
                Ok((Outcome::lines(text, json!({ "wwn": t.wwn })), t.wwn))
            }
            NodeKind::Target(t) if t.fabric.tpgts => {
                let p = Params::bind(cmd, create_params(&node.kind))?;
                let tpg = root.create_tpg(t, p.num("tag", "tpg")?)?;
                let mut text = vec![format!("Created TPG {}.", tpg.tag)];
                match self.setup_new_tpg(&tpg) {
                    Ok(t) => text.extend(t),
                    Err(e) => {
                        let _ = root.delete_tpg(&tpg);
                        return Err(e);
                    }
                }
                let made = format!("tpg{}", tpg.tag);
                Ok((Outcome::lines(text, json!({ "tag": tpg.tag })), made))
            }
            NodeKind::Luns(tpg) => {
                let p = Params::bind(cmd, create_params(&node.kind))?;
                let so_path = p.need("storage_object", "create")?;
                let so = SoRef::from_backstore_path(so_path).ok_or_else(|| {
                    Error::invalid(
                        "storage_object",
                        so_path,
                        "write /backstores/<plugin>/<name>, e.g. /backstores/ramdisk/rd0",
                    )
                })?;
                let so_dir = root.existing_storage_object(&so)?;
                // Only the storage object's own list of its LUNs and the
                // ACLs' mapped LUN numbers are read: the rest of the TPG's
                // configuration does not matter here, and reading it made
                // a batch of N creates quadratic.
                if root.lun_exporting(tpg, &so, &so_dir).is_some() {
                    return Err(Error::exists(
                        format!("a LUN for {so} in {tpg}"),
                        "a storage object is exported once per TPG",
                    ));
                }
                let lun = root.create_lun_at(tpg, p.num("lun", "lun")?, &so_dir, None)?;
                let mut text = vec![format!("Created LUN {lun}.")];
                if p.flag("add_mapped_luns", self.prefs.flag("auto_add_mapped_luns"))?
                    && tpg.target.fabric.acls
                {
                    for acl in root.acl_names(tpg) {
                        let used = root.mapped_lun_numbers(tpg, &acl);
                        match auto_mapped_lun(lun, &used) {
                            Some(m) => {
                                root.create_mapped_lun(tpg, &acl, m, lun, false, None)?;
                                text.push(format!(
                                    "Created LUN {lun}->{m} mapping in node ACL {acl}"
                                ));
                            }
                            // As targetcli-fb: the LUN stays, unmapped there.
                            None => text
                                .push(format!("Warning: cannot map new lun {lun} into ACL {acl}")),
                        }
                    }
                }
                Ok((
                    Outcome::lines(text, json!({ "lun": lun })),
                    format!("lun{lun}"),
                ))
            }
            NodeKind::Acls(tpg) => {
                let p = Params::bind(cmd, create_params(&node.kind))?;
                let wwn = root.create_acl(tpg, p.need("wwn", "create")?)?;
                let mut text = vec![format!("Created Node ACL for {wwn}")];
                if p.flag("add_mapped_luns", self.prefs.flag("auto_add_mapped_luns"))? {
                    for lun in root.lun_numbers(tpg) {
                        if lun <= crate::target::MAX_MAPPED_LUN {
                            root.create_mapped_lun(tpg, &wwn, lun, lun, false, None)?;
                            text.push(format!("Created Mapped LUN {lun}."));
                        }
                    }
                }
                Ok((Outcome::lines(text, json!({ "wwn": wwn })), wwn))
            }
            NodeKind::Acl(tpg, wwn) => {
                let p = Params::bind(cmd, create_params(&node.kind))?;
                let m = p.need_num("mapped_lun", "mapped_lun", "create")?;
                let src = p.need("tpg_lun_or_backstore", "create")?;
                let tpg_lun = match src.strip_prefix("lun").unwrap_or(src).parse::<u32>() {
                    Ok(n) => n,
                    Err(_) => {
                        let so = SoRef::from_backstore_path(src).ok_or_else(|| {
                            Error::invalid(
                                "tpg_lun_or_backstore",
                                src,
                                "write a TPG LUN number or /backstores/<plugin>/<name>",
                            )
                        })?;
                        let so_dir = root.existing_storage_object(&so)?;
                        match root.lun_exporting(tpg, &so, &so_dir) {
                            Some(l) => l,
                            None => root.create_lun_at(tpg, None, &so_dir, None)?,
                        }
                    }
                };
                root.create_mapped_lun(
                    tpg,
                    wwn,
                    m,
                    tpg_lun,
                    p.flag("write_protect", false)?,
                    None,
                )?;
                let text = format!("Created Mapped LUN {m}.");
                Ok((Outcome::msg(text), format!("mapped_lun{m}")))
            }
            NodeKind::Portals(tpg) => {
                let p = Params::bind(cmd, create_params(&node.kind))?;
                let port = p.port("ip_port")?;
                let np = root.create_portal(tpg, p.get("ip_address").unwrap_or("0.0.0.0"), port)?;
                let made = format!("{}:{}", np.ip_address, np.port);
                Ok((
                    Outcome::msg(format!("Created network portal {made}.")),
                    made,
                ))
            }
            NodeKind::Alua(so) => {
                let p = Params::bind(cmd, create_params(&node.kind))?;
                let name = p.need("name", "create")?;
                let tag = p.need_num("tag", "", "create")?;
                root.create_alua_group(so, name, tag)?;
                Ok((
                    Outcome::msg(format!("Created ALUA TPG {name}.")),
                    name.to_string(),
                ))
            }
            _ => Err(Error::Usage(format!(
                "nothing can be created at {}; see `help create`",
                node.name
            ))),
        }
    }

    /// What targetcli-fb does after making a TPG: turn off authentication,
    /// give iSCSI a default portal and enable it (the last two as the
    /// `auto_add_default_portal` and `auto_enable_tpgt` preferences say).
    fn setup_new_tpg(&self, tpg: &TpgRef) -> Result<Vec<String>> {
        let mut text = Vec::new();
        let dir = self.root.tpg_path(tpg);
        if tpg.target.fabric.auth {
            self.root.set_attribute(&dir, "authentication", "0")?;
        }
        if tpg.target.fabric.nps && self.prefs.flag("auto_add_default_portal") {
            match self.root.create_portal(tpg, "0.0.0.0", 3260) {
                Ok(_) => text.push(
                    "Created default portal listening on all IPs (0.0.0.0), port 3260.".into(),
                ),
                Err(_) => text.push(
                    "Default portal not created: TPGs within a target cannot share ip:port.".into(),
                ),
            }
        }
        if self.prefs.flag("auto_enable_tpgt") {
            self.root.set_tpg_enable(tpg, true)?;
        }
        Ok(text)
    }

    /// The path of the object a `create` at `node` (at `canon`) just made,
    /// the child named `made`, if it is there; for a target with TPGs its
    /// first TPG, where targetcli-fb goes. Looked up by name: listing the
    /// children before and after made N creates quadratic in N.
    fn created_node(&self, node: &Node, canon: &str, made: &str) -> Option<String> {
        if let NodeKind::Backstore(_) = node.kind {
            // Made under this very name just now: finding it again would
            // look through every HBA a second time.
            return Some(path::resolve(canon, made));
        }
        let new = tree::child_named(&self.root, &node.kind, made)?;
        let mut path = path::resolve(canon, &new.name);
        if let NodeKind::Target(t) = &new.kind {
            if t.fabric.tpgts {
                if let Some(tpg) = tree::children_of(&self.root, &new.kind).first() {
                    path = path::resolve(&path, &tpg.name);
                }
            }
        }
        Some(path)
    }
}

/// The mapped LUN a new TPG LUN `lun` gets in an ACL that uses `used`:
/// its own number when that is free and a mapped LUN can have it, else the
/// lowest free one; None when all of 0 to
/// [`MAX_MAPPED_LUN`](crate::target::MAX_MAPPED_LUN) are taken (targetcli-fb
/// then warns and leaves the LUN unmapped in that ACL).
fn auto_mapped_lun(lun: u32, used: &[u32]) -> Option<u32> {
    let max = crate::target::MAX_MAPPED_LUN;
    if lun <= max && !used.contains(&lun) {
        return Some(lun);
    }
    (0..=max).find(|n| !used.contains(n))
}

/// The parameters of `create` at a node, in positional order (empty:
/// nothing can be created there).
pub fn create_params(kind: &NodeKind) -> &'static [&'static str] {
    match kind {
        NodeKind::Backstore(Plugin::Ramdisk) => &["name", "size", "nullio", "wwn"],
        NodeKind::Backstore(Plugin::Fileio) => {
            &["name", "file_or_dev", "size", "write_back", "sparse", "wwn"]
        }
        NodeKind::Backstore(Plugin::Block) => &["name", "dev", "readonly", "wwn"],
        NodeKind::Backstore(Plugin::Pscsi) => &["name", "dev"],
        NodeKind::Backstore(Plugin::User) => &[
            "name",
            "size",
            "cfgstring",
            "wwn",
            "hw_max_sectors",
            "control",
        ],
        NodeKind::Fabric(_) => &["wwn"],
        NodeKind::Target(t) if t.fabric.tpgts => &["tag"],
        NodeKind::Luns(_) => &["storage_object", "lun", "add_mapped_luns"],
        NodeKind::Acls(_) => &["wwn", "add_mapped_luns"],
        NodeKind::Acl(..) => &["mapped_lun", "tpg_lun_or_backstore", "write_protect"],
        NodeKind::Portals(_) => &["ip_address", "ip_port"],
        NodeKind::Alua(_) => &["name", "tag"],
        _ => &[],
    }
}

/// Options of `create` in a backstore that are not storage object settings.
struct CreateExtras {
    model_alias: bool,
    sparse: bool,
}

fn backstore_create_args(plugin: Plugin, cmd: &Command) -> Result<(Backend, String, CreateExtras)> {
    let p = Params::bind(cmd, create_params(&NodeKind::Backstore(plugin)))?;
    let name = p.need("name", "create")?.to_string();
    let wwn = p.get("wwn").map(str::to_string);
    let size = |p: &Params| p.get("size").map(parse_size).transpose();
    let backend = match plugin {
        Plugin::Ramdisk => Backend::Ramdisk {
            wwn,
            size: size(&p)?
                .ok_or_else(|| Error::Usage("create needs size= (e.g. size=1G)".into()))?,
            nullio: p.flag("nullio", false)?,
        },
        Plugin::Fileio => {
            let dev = p.need("file_or_dev", "create")?;
            let dev = std::path::absolute(dev)
                .map(|d| d.display().to_string())
                .unwrap_or_else(|_| dev.to_string());
            let mut size = size(&p)?;
            if let Ok(m) = std::fs::metadata(&dev) {
                if m.is_file() {
                    size = Some(m.len());
                } else {
                    size = None;
                }
            } else if size.is_none() {
                return Err(Error::Usage(format!(
                    "{dev} does not exist: give size= to create it"
                )));
            }
            Backend::Fileio {
                wwn,
                dev,
                size,
                write_back: p.flag("write_back", true)?,
                aio: false,
            }
        }
        Plugin::Block => Backend::Block {
            wwn,
            dev: p.need("dev", "create")?.to_string(),
            readonly: p.flag("readonly", false)?,
            write_back: false,
        },
        Plugin::Pscsi => Backend::Pscsi {
            dev: p.need("dev", "create")?.to_string(),
        },
        Plugin::User => Backend::User {
            wwn,
            size: size(&p)?.ok_or_else(|| Error::Usage("create needs size=".into()))?,
            config: Some(p.need("cfgstring", "create")?.to_string()),
            hw_max_sectors: p.num("hw_max_sectors", "")?.map(u64::from),
            control: p.get("control").map(str::to_string),
        },
    };
    let sparse = p.flag("sparse", true)?;
    Ok((
        backend,
        name,
        CreateExtras {
            model_alias: plugin != Plugin::Pscsi,
            sparse,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::parse;

    #[test]
    fn backstore_arguments_become_backends() {
        let c = parse("create name=rd0 size=16M nullio=true")
            .unwrap()
            .unwrap();
        let (b, name, _) = backstore_create_args(Plugin::Ramdisk, &c).unwrap();
        assert_eq!(name, "rd0");
        assert_eq!(
            b,
            Backend::Ramdisk {
                wwn: None,
                size: 16 << 20,
                nullio: true
            }
        );
        let c = parse("create name=rd0").unwrap().unwrap();
        assert!(backstore_create_args(Plugin::Ramdisk, &c)
            .err()
            .unwrap()
            .to_string()
            .contains("size="));
        let c = parse("create name=f file_or_dev=/nonexistent/x")
            .unwrap()
            .unwrap();
        assert!(backstore_create_args(Plugin::Fileio, &c)
            .err()
            .unwrap()
            .to_string()
            .contains("give size="));
        let c = parse("create name=rd0 size=lots").unwrap().unwrap();
        assert!(backstore_create_args(Plugin::Ramdisk, &c)
            .err()
            .unwrap()
            .to_string()
            .contains("invalid size"));
    }

    #[test]
    fn new_luns_map_as_themselves_or_the_lowest_free_number() {
        assert_eq!(auto_mapped_lun(3, &[]), Some(3));
        assert_eq!(auto_mapped_lun(3, &[3, 0]), Some(1));
        // Mapped LUNs stop at 255 (rtslib-fb's limit, so that
        // targetcli-fb can restore the saved file): a higher LUN takes a
        // free number below, and none is left once all 256 are used.
        assert_eq!(auto_mapped_lun(256, &[0, 1]), Some(2));
        let all: Vec<u32> = (0..=255).collect();
        assert_eq!(auto_mapped_lun(256, &all), None);
        assert_eq!(auto_mapped_lun(7, &all), None);
    }
}
