//! One thin adapter per cloud, from its dialect crate to the server's [`Dialect`] trait.

mod aws;
mod huawei;
mod tencent;

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
    match kind {
        DialectKind::Aws => Arc::new(aws::AwsAdapter::new(Arc::clone(kms), &settings.aws)),
        DialectKind::Tencent => Arc::new(tencent::TencentAdapter::new(
            Arc::clone(kms),
            &settings.tencent,
            clock,
        )),
        DialectKind::Huawei => Arc::new(huawei::HuaweiAdapter::new(
            Arc::clone(kms),
            &settings.huawei,
            clock,
        )),
    }
}
