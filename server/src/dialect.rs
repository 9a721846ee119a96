//! Which clouds the server runs, and how it builds each one's [`Dialect`] over the engine.
//! The seam itself (`Dialect`, `Edge`) lives in `dialect-kit`; each dialect crate
//! implements it.

use std::fmt;
use std::sync::Arc;

use dialect_aws::AwsDialect;
use dialect_huawei::HuaweiDialect;
use dialect_kit::{Dialect, ListenAddr};
use dialect_tencent::TencentDialect;
use kms_core::{Clocks, Kms};

use crate::settings::Settings;

/// The clouds kmsgate speaks, each on its own listener.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DialectKind {
    Aws,
    Tencent,
    Huawei,
}

impl DialectKind {
    pub const ALL: [DialectKind; 3] = [DialectKind::Aws, DialectKind::Tencent, DialectKind::Huawei];

    /// Lowercase name, as used in config keys, flags and the startup line.
    pub fn name(self) -> &'static str {
        match self {
            DialectKind::Aws => "aws",
            DialectKind::Tencent => "tencent",
            DialectKind::Huawei => "huawei",
        }
    }

    /// Each dialect's own default (loopback).
    pub fn default_listen(self) -> ListenAddr {
        ListenAddr::loopback(match self {
            DialectKind::Aws => dialect_aws::DEFAULT_PORT,
            DialectKind::Tencent => dialect_tencent::DEFAULT_PORT,
            DialectKind::Huawei => dialect_huawei::DEFAULT_PORT,
        })
    }

    /// The dialect over `kms`, configured by its own settings section.
    pub(crate) fn build(
        self,
        settings: &Settings,
        kms: &Arc<Kms>,
        clocks: &Clocks,
    ) -> Arc<dyn Dialect> {
        let (kms, clocks) = (Arc::clone(kms), clocks.clone());
        match self {
            DialectKind::Aws => Arc::new(AwsDialect::new(kms, settings.aws.clone(), clocks)),
            DialectKind::Tencent => {
                Arc::new(TencentDialect::new(kms, settings.tencent.clone(), clocks))
            }
            DialectKind::Huawei => {
                Arc::new(HuaweiDialect::new(kms, settings.huawei.clone(), clocks))
            }
        }
    }

    pub fn binary_name(self) -> &'static str {
        match self {
            DialectKind::Aws => "kmsgate-aws",
            DialectKind::Tencent => "kmsgate-tencent",
            DialectKind::Huawei => "kmsgate-huawei",
        }
    }

    pub(crate) fn cloud(self) -> &'static str {
        match self {
            DialectKind::Aws => "AWS KMS",
            DialectKind::Tencent => "Tencent Cloud KMS",
            DialectKind::Huawei => "Huawei Cloud KMS",
        }
    }
}

impl fmt::Display for DialectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
