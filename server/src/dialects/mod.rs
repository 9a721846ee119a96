//! One thin adapter per cloud, from its dialect crate to the server's [`Dialect`] trait.

mod aws;
mod pending;

use std::sync::Arc;

use kms_core::{EmulatedClock, Kms};

use crate::dialect::{Dialect, DialectKind};
use crate::settings::Settings;

/// `clock` is the engine's emulated clock, for dialect state that must follow the time users
/// fast-forward (issued auth tokens, rate windows); signature timestamps use the real clock.
pub(crate) fn build(
    kind: DialectKind,
    settings: &Settings,
    kms: &Arc<Kms>,
    clock: &Arc<EmulatedClock>,
) -> Arc<dyn Dialect> {
    let _ = clock; // used by the Tencent and Huawei adapters
    match kind {
        DialectKind::Aws => Arc::new(aws::AwsAdapter::new(Arc::clone(kms), &settings.aws)),
        // Issues #4 and #5: replace with adapters over dialect-tencent and dialect-huawei.
        DialectKind::Tencent | DialectKind::Huawei => Arc::new(pending::Pending::new(kind)),
    }
}
