//! The core's names that `index.d.ts` types as unions of string literals
//! (`Step`, `StepStatus`, `OutcomeKind`, `KioskProgress['type']`,
//! `TransportKind`, `InfoType`, `SignType`, `Padding`), for the test that checks the declarations against them.

use std::collections::HashMap;
use std::time::Duration;

use napi_derive::napi;
use wxface_core::error::TransportKind;
use wxface_core::flow::{OutcomeKind, Step, StepStatus};
use wxface_core::model::Progress;

/// The names of each union, from the core's enums (`ALL`, `as_str`) and
/// the tags of its progress record. Not public API.
#[napi(js_name = "__names")]
pub fn names() -> HashMap<String, Vec<String>> {
    let strs = |v: Vec<&'static str>| v.into_iter().map(str::to_owned).collect::<Vec<_>>();
    let progress = [
        Progress::step_started(Step::Initialising),
        Progress::step_finished(Step::Initialising, StepStatus::Ok, Duration::ZERO, None),
        Progress::CancelRequested,
        Progress::Finished {
            outcome: OutcomeKind::Cancelled.as_str().to_owned(),
            elapsed_ms: 0.0,
        },
    ]
    .iter()
    .filter_map(|p| {
        serde_json::to_value(p)
            .ok()
            .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
    })
    .collect();
    let mut out = HashMap::from([
        (
            "Step".to_owned(),
            strs(Step::ALL.iter().map(|s| s.as_str()).collect()),
        ),
        (
            "StepStatus".to_owned(),
            strs(StepStatus::ALL.iter().map(|s| s.as_str()).collect()),
        ),
        (
            "OutcomeKind".to_owned(),
            strs(OutcomeKind::ALL.iter().map(|s| s.as_str()).collect()),
        ),
        ("ProgressType".to_owned(), progress),
        (
            "TransportKind".to_owned(),
            strs(TransportKind::ALL.iter().map(|s| s.as_str()).collect()),
        ),
    ]);
    #[cfg(feature = "merchant")]
    {
        use wxface_core::{crypto::Padding, v2::SignType, v3::InfoType};
        out.insert(
            "InfoType".to_owned(),
            strs(InfoType::ALL.iter().map(|s| s.as_str()).collect()),
        );
        out.insert(
            "SignType".to_owned(),
            strs(SignType::ALL.iter().map(|s| s.as_str()).collect()),
        );
        out.insert(
            "Padding".to_owned(),
            strs(Padding::ALL.iter().map(|s| s.as_str()).collect()),
        );
    }
    #[cfg(not(feature = "merchant"))]
    let _ = &mut out;
    out
}
