//! Who a request acts for: the project named in the path, which is the core tenant. Keys
//! never cross projects.

use std::fmt;

use kms_core::TenantId;
use sha2::{Digest, Sha256};

use crate::error::{ErrorCode, HuaweiError};

/// A project id as it appears in `/v1.0/{project_id}/...`. Huawei's are 32 lowercase hex
/// characters; any 1 to 64 of `[0-9A-Za-z_-]` are accepted, which is what SDK users pass.
/// The SDK's unfilled placeholder (`{project_id}`, sent when BasicCredentials has no project)
/// is refused with a message saying so.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct ProjectId(String);

impl ProjectId {
    pub fn parse(s: &str) -> Option<ProjectId> {
        let ok = (1..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        ok.then(|| ProjectId(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The emulator's stand-in for the id of a project the caller only named (IAM scopes
    /// may name a project instead of giving its id): stable, 32 lowercase hex characters.
    pub fn named(domain_id: &str, name: &str) -> ProjectId {
        ProjectId(derived_id("project", &[domain_id, name]))
    }
}

impl fmt::Display for ProjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ProjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProjectId({})", self.0)
    }
}

/// 32 lowercase hex characters derived from `parts`, the shape of Huawei's ids.
pub(crate) fn derived_id(kind: &str, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(b"kmsgate/huawei/");
    h.update(kind.as_bytes());
    for p in parts {
        h.update([0u8]);
        h.update(p.as_bytes());
    }
    hex::encode(&h.finalize()[..16])
}

pub(crate) fn invalid_project(segment: &str) -> HuaweiError {
    let hint = if segment.contains('{') || segment.contains("%7B") {
        " (the SDK sends this placeholder when BasicCredentials has no project_id: pass one)"
    } else {
        ""
    };
    HuaweiError::bad(
        ErrorCode::Kms0201,
        format!(
            "Invalid request URL: project id '{segment}' is not 1 to 64 characters of [0-9A-Za-z_-]{hint}."
        ),
    )
}

#[derive(Clone, Debug)]
pub(crate) struct Caller {
    pub(crate) project: ProjectId,
    pub(crate) tenant: TenantId,
}

impl Caller {
    pub(crate) fn new(project: ProjectId) -> Result<Caller, HuaweiError> {
        // The dialect prefix keeps Huawei tenants apart from other dialects' over one store.
        let tenant = TenantId::new(format!("huawei/{project}"))
            .map_err(|_| invalid_project(project.as_str()))?;
        Ok(Caller { project, tenant })
    }

    /// The account (domain) keys are reported under. AK/SK requests carry no domain, so it
    /// is derived from the project: one project always shows one domain id.
    pub(crate) fn domain_id(&self) -> String {
        derived_id("domain-of-project", &[self.project.as_str()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_ids() {
        for good in [
            "0123456789abcdef0123456789abcdef",
            "p",
            "my-project_1",
            &"a".repeat(64),
        ] {
            assert!(ProjectId::parse(good).is_some(), "{good}");
        }
        for bad in [
            "",
            "{project_id}",
            "%7Bproject_id%7D",
            "a/b",
            "a b",
            &"a".repeat(65),
        ] {
            assert!(ProjectId::parse(bad).is_none(), "{bad}");
        }
        assert!(
            invalid_project("%7Bproject_id%7D")
                .message
                .contains("placeholder")
        );
        let named = ProjectId::named("d", "cn-north-4");
        assert_eq!(named.as_str().len(), 32);
        assert_eq!(named, ProjectId::named("d", "cn-north-4"));
        assert_ne!(named, ProjectId::named("e", "cn-north-4"));
        let caller = Caller::new(named).unwrap();
        assert!(caller.tenant.as_str().starts_with("huawei/"));
        assert_eq!(caller.domain_id().len(), 32);
    }
}
