//! DescribeKeys, ListKeys, ListKeyDetail: Tencent lists by offset and limit over the keys
//! ordered by creation time, filtered as ListKeyDetail documents.

use std::collections::HashSet;

use kms_core::{KeyDescription, KeyId, KeyStateKind, KmsError, Origin, PageSize};
use serde_json::{Map, Value, json};

use super::key_usage::{self, Usage};
use super::keys::check_hsm_cluster;
use super::metadata::key_metadata;
use super::{Answer, Ctx, core, offset_limit, parse_key_id, refuse_member_account};
use crate::error::{ErrorCode, TencentError};
use crate::params::{Params, bad_value};

const DESCRIBE_KEYS_MAX: usize = 100;

/// Every key of the tenant, newest first (ties by id, so pages are stable).
fn all_keys(ctx: &Ctx<'_>) -> Result<Vec<KeyDescription>, TencentError> {
    let size = PageSize::new(PageSize::MAX).map_err(|e| core(KmsError::Validation(e)))?;
    let mut keys = Vec::new();
    let mut after: Option<KeyId> = None;
    loop {
        let page = ctx
            .kms
            .list_keys(&ctx.caller.tenant, after.as_ref(), size)
            .map_err(core)?;
        keys.extend(page.keys);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    keys.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| a.key_id.to_string().cmp(&b.key_id.to_string()))
    });
    Ok(keys)
}

/// `Role` 1 lists keys created by cloud products, which kmsgate never has.
fn user_role(params: &Params) -> Result<bool, TencentError> {
    match params.integer("Role")? {
        None | Some(0) => Ok(true),
        Some(1) => Ok(false),
        Some(_) => Err(bad_value(
            ErrorCode::InvalidParameterValue,
            "Role",
            "it must be 0 (created by the user) or 1 (created by cloud products)",
        )),
    }
}

fn page<T>(items: Vec<T>, offset: usize, limit: usize) -> Vec<T> {
    items.into_iter().skip(offset).take(limit).collect()
}

pub(super) fn describe_keys(ctx: &Ctx<'_>, params: &Params) -> Answer {
    let texts = params
        .string_list("KeyIds")?
        .filter(|ids| !ids.is_empty())
        .ok_or_else(|| crate::params::missing("KeyIds"))?;
    if texts.len() > DESCRIBE_KEYS_MAX {
        return Err(bad_value(
            ErrorCode::InvalidParameterValue,
            "KeyIds",
            "at most 100 key ids may be given",
        ));
    }
    let mut seen = HashSet::new();
    let mut ids = Vec::with_capacity(texts.len());
    for text in &texts {
        let id = parse_key_id("KeyIds", text)?;
        if !seen.insert(id) {
            return Err(TencentError::new(
                ErrorCode::InvalidParameterValueDuplicatedKeyId,
                format!("The key id `{id}` appears more than once in KeyIds."),
            ));
        }
        ids.push(id);
    }
    refuse_member_account(params)?;
    let aliases = ctx.aliases()?;
    let mut metadatas = Vec::with_capacity(ids.len());
    for id in &ids {
        // Ids that name no key of this account and region are left out, as Tencent does.
        match ctx.kms.describe_key(&ctx.caller.tenant, id) {
            Ok(key) => {
                let metadata = key_metadata(ctx.caller, &key, aliases.get(id));
                metadatas.push(super::rotation::with_rotation(ctx, &key, metadata));
            }
            Err(KmsError::KeyNotFound { .. }) => {}
            Err(e) => return Err(core(e)),
        }
    }
    let mut out = Map::new();
    out.insert("KeyMetadatas".into(), Value::Array(metadatas));
    Ok(out)
}

pub(super) fn list_keys(ctx: &Ctx<'_>, params: &Params) -> Answer {
    let (offset, limit) = offset_limit(params)?;
    let user = user_role(params)?;
    check_hsm_cluster(params)?;
    let mut keys = if user { all_keys(ctx)? } else { Vec::new() };
    // "Lists the CMKs in state Enabled, Disabled and PendingImport" (the SDK's ListKeys).
    keys.retain(|k| k.state != KeyStateKind::PendingDeletion);
    let total = keys.len();
    let listed: Vec<Value> = page(keys, offset, limit)
        .iter()
        .map(|k| json!({ "KeyId": k.key_id.to_string() }))
        .collect();
    let mut out = Map::new();
    out.insert("Keys".into(), Value::Array(listed));
    out.insert("TotalCount".into(), json!(total));
    Ok(out)
}

/// The filters of ListKeyDetail, parsed.
struct Filters {
    user: bool,
    ascending: bool,
    state: Option<Option<KeyStateKind>>,
    search: Option<String>,
    origin: Option<Origin>,
    /// The KeyUsage filter, in Tencent's name.
    usage: Option<String>,
    tags: Vec<(String, Vec<String>)>,
}

impl Filters {
    fn parse(params: &Params) -> Result<Self, TencentError> {
        let user = user_role(params)?;
        let ascending = match params.integer("OrderType")? {
            None | Some(0) => false,
            Some(1) => true,
            Some(_) => {
                return Err(bad_value(
                    ErrorCode::InvalidParameterValue,
                    "OrderType",
                    "it must be 0 (newest first) or 1 (oldest first)",
                ));
            }
        };
        // None: no filter; Some(None): Archived, a state emulated keys are never in.
        let state = match params.integer("KeyState")? {
            None | Some(0) => None,
            Some(1) => Some(Some(KeyStateKind::Enabled)),
            Some(2) => Some(Some(KeyStateKind::Disabled)),
            Some(3) => Some(Some(KeyStateKind::PendingDeletion)),
            Some(4) => Some(Some(KeyStateKind::PendingImport)),
            Some(5) => Some(None),
            Some(_) => {
                return Err(bad_value(
                    ErrorCode::InvalidParameterValue,
                    "KeyState",
                    "it must be 0 (all), 1 Enabled, 2 Disabled, 3 PendingDelete, 4 PendingImport or 5 Archived",
                ));
            }
        };
        let origin = match params.string("Origin")?.as_deref() {
            None | Some("") | Some("ALL") => None,
            Some("TENCENT_KMS") => Some(Origin::Generated),
            Some("EXTERNAL") => Some(Origin::External),
            Some(_) => {
                return Err(bad_value(
                    ErrorCode::InvalidParameterValue,
                    "Origin",
                    "it must be TENCENT_KMS, EXTERNAL or ALL",
                ));
            }
        };
        // ALL: every usage; absent or empty: ENCRYPT_DECRYPT, as the SDK documents ("为空则默认
        // 筛选ENCRYPT_DECRYPT类型"); otherwise keys of that usage only.
        let usage = match params.string("KeyUsage")?.as_deref() {
            Some("ALL") => None,
            None | Some("") => Some("ENCRYPT_DECRYPT".to_owned()),
            Some(other) => {
                // An unknown name is refused; a known one that is not emulated matches nothing.
                match Usage::parse(Some(other)) {
                    Err(e) if e.code == ErrorCode::InvalidParameterValueInvalidKeyUsage => {
                        return Err(e);
                    }
                    _ => Some(other.to_owned()),
                }
            }
        };
        check_hsm_cluster(params)?;
        let mut tags = Vec::new();
        for filter in params.objects("TagFilters")?.unwrap_or_default() {
            let key = filter.required_nonempty("TagKey")?;
            let values = filter.string_list("TagValue")?.unwrap_or_default();
            tags.push((key, values));
        }
        Ok(Filters {
            user,
            ascending,
            state,
            search: params.string("SearchKeyAlias")?.filter(|s| !s.is_empty()),
            origin,
            usage,
            tags,
        })
    }

    fn keep(&self, key: &KeyDescription, alias: &str) -> bool {
        let state_ok = match self.state {
            None => true,
            Some(want) => want == Some(key.state),
        };
        // Fuzzy match on the key id or the alias.
        let search_ok = self.search.as_ref().is_none_or(|s| {
            let s = s.to_lowercase();
            key.key_id.to_string().contains(&s) || alias.to_lowercase().contains(&s)
        });
        let tags_ok = self.tags.iter().all(|(k, values)| {
            key.tags
                .get(k)
                .is_some_and(|v| values.is_empty() || values.iter().any(|want| want == v))
        });
        self.user
            && self
                .usage
                .as_deref()
                .is_none_or(|u| u == key_usage::name(key.spec, key.usage))
            && state_ok
            && search_ok
            && self.origin.is_none_or(|o| o == key.origin)
            && tags_ok
    }
}

pub(super) fn list_key_detail(ctx: &Ctx<'_>, params: &Params) -> Answer {
    let (offset, limit) = offset_limit(params)?;
    let filters = Filters::parse(params)?;
    refuse_member_account(params)?;
    let aliases = ctx.aliases()?;
    let mut keys: Vec<KeyDescription> = all_keys(ctx)?
        .into_iter()
        .filter(|k| {
            let alias = aliases.get(&k.key_id).map_or("", |a| a.as_str());
            filters.keep(k, alias)
        })
        .collect();
    if filters.ascending {
        keys.reverse();
    }
    let total = keys.len();
    let metadatas: Vec<Value> = page(keys, offset, limit)
        .iter()
        .map(|k| {
            let metadata = key_metadata(ctx.caller, k, aliases.get(&k.key_id));
            super::rotation::with_rotation(ctx, k, metadata)
        })
        .collect();
    let mut out = Map::new();
    out.insert("TotalCount".into(), json!(total));
    out.insert("KeyMetadatas".into(), Value::Array(metadatas));
    Ok(out)
}
