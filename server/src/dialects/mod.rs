//! One thin adapter per cloud, from its dialect crate to the server's [`Dialect`] trait.

mod aws;
mod pending;

use std::sync::Arc;

use kms_core::Kms;

use crate::dialect::{Dialect, DialectKind};
use crate::settings::Settings;

pub(crate) fn build(kind: DialectKind, settings: &Settings, kms: &Arc<Kms>) -> Arc<dyn Dialect> {
    match kind {
        DialectKind::Aws => Arc::new(aws::AwsAdapter::new(Arc::clone(kms), &settings.aws)),
        // Issues #4 and #5: replace with adapters over dialect-tencent and dialect-huawei.
        DialectKind::Tencent | DialectKind::Huawei => Arc::new(pending::Pending::new(kind)),
    }
}
