//! Open initiator sessions, read from each node ACL's `info` file as
//! rtslib-fb reads them (only fabrics whose ACLs have one, iSCSI in LIO,
//! report sessions; an ACL with "No active" sessions has none).

use serde::Serialize;

use crate::cfs;
use crate::error::Result;
use crate::root::{Root, TpgRef};

/// One connection of a session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Connection {
    /// Connection id.
    pub cid: u32,
    /// Its state, without the `TARG_CONN_STATE_` prefix (e.g. LOGGED_IN).
    pub state: String,
    /// The initiator's address.
    pub address: String,
    /// The transport (TCP, iSER, ...).
    pub transport: String,
}

/// One session of a node ACL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    /// The TPG of the ACL.
    #[serde(serialize_with = "as_display")]
    pub tpg: TpgRef,
    /// The initiator's WWN (the ACL's name).
    pub node_wwn: String,
    /// The initiator's alias.
    pub alias: String,
    /// LIO's session id (the `sid` of `sessions`).
    pub id: u32,
    /// Normal or Discovery.
    pub kind: String,
    /// Its state, without the `TARG_SESS_STATE_` prefix (e.g. LOGGED_IN).
    pub state: String,
    /// Its connections.
    pub connections: Vec<Connection>,
}

fn as_display<S: serde::Serializer>(v: &TpgRef, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// The word after `sep` in `line` (rtslib-fb's `split(sep)[1].split()[0]`).
fn word_after<'a>(line: &'a str, sep: &str) -> Option<&'a str> {
    line.split_once(sep)?.1.split_whitespace().next()
}

/// Parses an ACL's `info` file as rtslib-fb's `NodeACL.session` does. None:
/// no active session (or a file that is not a session report).
pub fn parse_info(tpg: &TpgRef, node_wwn: &str, info: &str) -> Option<Session> {
    if info.is_empty() || info.starts_with("No active") {
        return None;
    }
    let mut s = Session {
        tpg: tpg.clone(),
        node_wwn: node_wwn.to_string(),
        alias: String::new(),
        id: 0,
        kind: String::new(),
        state: String::new(),
        connections: Vec::new(),
    };
    let mut seen = false;
    for line in info.lines() {
        if line.starts_with("InitiatorName:") {
            seen = true;
            s.connections.clear();
        } else if line.starts_with("InitiatorAlias:") {
            s.alias = line.split(':').nth(1).unwrap_or("").trim().to_string();
        } else if line.starts_with("LIO Session ID:") {
            s.id = word_after(line, ":")?.parse().ok()?;
            s.kind = word_after(line, "SessionType:").unwrap_or("").to_string();
        } else if line.contains("TARG_SESS_STATE_") {
            s.state = word_after(line, "_STATE_").unwrap_or("").to_string();
        } else if line.contains("TARG_CONN_STATE_") {
            s.connections.push(Connection {
                cid: word_after(line, ":")?.parse().ok()?,
                state: word_after(line, "_STATE_").unwrap_or("").to_string(),
                ..Connection::default()
            });
        } else if line.contains("Address") {
            let mut w = line.split_whitespace().skip(1);
            if let Some(c) = s.connections.last_mut() {
                c.address = w.next().unwrap_or("").to_string();
                c.transport = w.next().unwrap_or("").to_string();
            }
        }
    }
    seen.then_some(s)
}

impl Root {
    /// Every open session, TPG by TPG and ACL by ACL, as targetcli-fb's
    /// `sessions` lists them.
    pub fn sessions(&self) -> Result<Vec<Session>> {
        let mut out = Vec::new();
        for fabric in self.loaded_fabrics() {
            if !fabric.acls {
                continue;
            }
            for tpg in self.tpgs_of_fabric(fabric) {
                let acls = self.tpg_path(&tpg).join("acls");
                for wwn in cfs::subdirs(&acls) {
                    let Some(info) = cfs::read_opt(&acls.join(&wwn).join("info")) else {
                        continue;
                    };
                    out.extend(parse_info(&tpg, &wwn, &info));
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fabric::Fabric;

    /// What LIO's iSCSI ACL `info` shows for a logged-in initiator.
    const INFO: &str = "InitiatorName: iqn.1994-05.com.example:host1
InitiatorAlias: host1
LIO Session ID: 3   ISID: 0x400001370000 TSIH: 3  SessionType: Normal
Session State: TARG_SESS_STATE_LOGGED_IN
---------------------[iSCSI Session Values]-----------------------
  CmdSN/WR  :  CmdSN/WC  :  ExpCmdSN  :  MaxCmdSN  :     ITT    :     TTT
 0x00000001   0x00000001   0x00000002   0x00000081   0x00000005   0xffffffff
----------------------[iSCSI Connections]-------------------------
CID: 0  Connection State: TARG_CONN_STATE_LOGGED_IN
   Address 192.0.2.7 TCP  StatSN: 0x00000004
";

    #[test]
    fn reads_a_session_as_rtslib_does() {
        let tpg = TpgRef::new(
            Fabric::by_name("iscsi").unwrap(),
            "iqn.2003-01.org.example:t1",
            1,
        );
        let s = parse_info(&tpg, "iqn.1994-05.com.example:host1", INFO).unwrap();
        assert_eq!(s.alias, "host1");
        assert_eq!(s.id, 3);
        assert_eq!(s.kind, "Normal");
        assert_eq!(s.state, "LOGGED_IN");
        assert_eq!(
            s.connections,
            vec![Connection {
                cid: 0,
                state: "LOGGED_IN".into(),
                address: "192.0.2.7".into(),
                transport: "TCP".into(),
            }]
        );
        let none = "No active iSCSI Session for Initiator Endpoint: iqn.x\n";
        assert_eq!(parse_info(&tpg, "iqn.x", none), None);
        assert_eq!(parse_info(&tpg, "iqn.x", ""), None);
    }
}
