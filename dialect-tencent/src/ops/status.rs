//! GetServiceStatus: the KMS service is always "purchased and running" on kmsgate.

use kms_core::{KmsError, PageSize};
use serde_json::{Map, json};

use super::{Answer, Ctx, core};
use crate::params::Params;

/// Tencent's default CMK quota per region.
const CMK_LIMIT: u64 = 20_000;

pub(super) fn get_service_status(ctx: &Ctx<'_>, _params: &Params) -> Answer {
    // Count the tenant's keys page by page; the count is what the console shows as used.
    let size = PageSize::new(PageSize::MAX).map_err(|e| core(KmsError::Validation(e)))?;
    let mut count: u64 = 0;
    let mut after = None;
    loop {
        let page = ctx
            .kms
            .list_keys(&ctx.caller.tenant, after.as_ref(), size)
            .map_err(core)?;
        count += page.keys.len() as u64;
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let mut out = Map::new();
    out.insert("ServiceEnabled".into(), json!(true));
    // 1: in normal service (0 not purchased, 2 suspended for arrears, 3 released).
    out.insert("InvalidType".into(), json!(1));
    out.insert("UserLevel".into(), json!(0));
    out.insert("CmkUserCount".into(), json!(count));
    out.insert("CmkLimit".into(), json!(CMK_LIMIT));
    out.insert("ExclusiveVSMEnabled".into(), json!(false));
    out.insert("ExclusiveHSMEnabled".into(), json!(false));
    out.insert("ExclusiveHSMList".into(), json!([]));
    out.insert("IsAllowedDataKeyHosted".into(), json!(false));
    out.insert("IsAllowedSync".into(), json!(false));
    Ok(out)
}
