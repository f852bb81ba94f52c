//! The malformed requests an [`Op::Invalid`](crate::sim::workload::Op::Invalid)
//! sends, by case number, and the code each must get.

use crate::model::error::Code;

/// One malformed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid {
    /// What is wrong with it.
    pub what: &'static str,
    /// The action.
    pub action: &'static str,
    /// Its fixed parameters (some cases add generated ones).
    pub params: &'static [(&'static str, &'static str)],
    /// The code it must get.
    pub code: Code,
}

const fn case(
    what: &'static str,
    action: &'static str,
    params: &'static [(&'static str, &'static str)],
    code: Code,
) -> Invalid {
    Invalid {
        what,
        action,
        params,
        code,
    }
}

const SOME: &str = "i-someinstance1";

/// The cases, by number. New cases go at the end: a trace names them by
/// number.
pub const INVALID: &[Invalid] = &[
    case(
        "DeleteInstance without InstanceId",
        "DeleteInstance",
        &[],
        Code::MissingParameter,
    ),
    case(
        "DeleteInstance with a malformed InstanceId",
        "DeleteInstance",
        &[("InstanceId", "i-NOT_VALID")],
        Code::InvalidParameter,
    ),
    case(
        "CreateInstance with a PrePaid Period of 99",
        "CreateInstance",
        &[("InstanceChargeType", "PrePaid"), ("Period", "99")],
        Code::InvalidParameter,
    ),
    case(
        "CreateDisk with a Size that is not a number",
        "CreateDisk",
        &[("Size", "big")],
        Code::InvalidParameter,
    ),
    case(
        "AttachDisk without DiskId",
        "AttachDisk",
        &[("InstanceId", SOME)],
        Code::MissingParameter,
    ),
    case(
        "LockInstance with an unknown LockReason",
        "LockInstance",
        &[("InstanceId", SOME), ("LockReason", "Bogus")],
        Code::InvalidParameter,
    ),
    case(
        "DeleteInstances with 101 ids",
        "DeleteInstances",
        &[],
        Code::TooManyInstanceIds,
    ),
    case(
        "DeleteInstances with a repeated id",
        "DeleteInstances",
        &[("InstanceId.1", SOME), ("InstanceId.2", SOME)],
        Code::InvalidParameter,
    ),
    case(
        "DescribeInstances with PageSize 0",
        "DescribeInstances",
        &[("PageSize", "0")],
        Code::InvalidParameter,
    ),
    case(
        "CreateDisk with a 65-character ClientToken",
        "CreateDisk",
        &[("Size", "20")],
        Code::InvalidParameter,
    ),
    case(
        "an unknown Action",
        "FlyInstanceToTheMoon",
        &[],
        Code::InvalidActionNotFound,
    ),
    case(
        "RenewInstance without Period",
        "RenewInstance",
        &[("InstanceId", SOME)],
        Code::MissingParameter,
    ),
    case(
        "AddBackendServers with 21 servers in one call",
        "AddBackendServers",
        &[("LoadBalancerId", "lb-simbalance001")],
        Code::TooManyBackendServers,
    ),
    case(
        "DeleteInstance with a ForceStop that is not a boolean",
        "DeleteInstance",
        &[
            ("InstanceId", SOME),
            ("Force", "true"),
            ("ForceStop", "gently"),
        ],
        Code::InvalidParameter,
    ),
    case(
        "ModifyInstanceAutoReleaseTime without InstanceId",
        "ModifyInstanceAutoReleaseTime",
        &[("AutoReleaseTime", "2026-06-01T00:00:00Z")],
        Code::MissingParameter,
    ),
    case(
        "ModifyInstanceChargeType without InstanceIds",
        "ModifyInstanceChargeType",
        &[("InstanceChargeType", "PostPaid")],
        Code::MissingParameter,
    ),
    case(
        "ModifyInstanceChargeType with InstanceIds that is not a JSON array",
        "ModifyInstanceChargeType",
        &[("InstanceIds", SOME), ("InstanceChargeType", "PostPaid")],
        Code::InvalidParameter,
    ),
    case(
        "ModifyInstanceChargeType to PrePaid without Period",
        "ModifyInstanceChargeType",
        &[("InstanceIds", r#"["i-someinstance1"]"#)],
        Code::MissingParameter,
    ),
    case(
        "DescribeInstanceHistoryEvents with PageSize 0",
        "DescribeInstanceHistoryEvents",
        &[("PageSize", "0")],
        Code::InvalidParameter,
    ),
    case(
        "CreateRouteEntry with a DestinationCidrBlock that is not an IPv4 block",
        "CreateRouteEntry",
        &[
            ("RouteTableId", "vtb-simtable0001"),
            ("DestinationCidrBlock", "10.0.0.300/24"),
            ("NextHopId", SOME),
        ],
        Code::CidrBlockMalformed,
    ),
    case(
        "AddBackendServers with BackendServers that is not a JSON array",
        "AddBackendServers",
        &[
            ("LoadBalancerId", "lb-simbalance001"),
            ("BackendServers", "i-someinstance1"),
        ],
        Code::BackendServersMalformed,
    ),
    case(
        "AddBackendServers with a Weight of 101",
        "AddBackendServers",
        &[
            ("LoadBalancerId", "lb-simbalance001"),
            (
                "BackendServers",
                r#"[{"ServerId":"i-someinstance1","Weight":"101"}]"#,
            ),
        ],
        Code::WeightMalformed,
    ),
];

/// The parameters a case generates rather than lists.
fn generated(case: usize) -> Vec<(String, String)> {
    match case {
        6 => (1..=101)
            .map(|n| (format!("InstanceId.{n}"), format!("i-{n:012}")))
            .collect(),
        9 => vec![("ClientToken".into(), "x".repeat(65))],
        12 => {
            let servers: Vec<String> = (1..=21)
                .map(|n| format!(r#"{{"ServerId":"i-{n:012}","Weight":"100"}}"#))
                .collect();
            vec![("BackendServers".into(), format!("[{}]", servers.join(",")))]
        }
        _ => Vec::new(),
    }
}

/// Case `case` (modulo the number of cases): action, parameters, code.
pub(super) fn invalid_request(case: u8) -> (&'static str, Vec<(String, String)>, Code) {
    let n = case as usize % INVALID.len();
    let c = &INVALID[n];
    let mut params: Vec<(String, String)> = c
        .params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    params.extend(generated(n));
    (c.action, params, c.code)
}
