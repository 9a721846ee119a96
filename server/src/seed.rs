//! Seed files: keys declared up front, per dialect tenant, applied at start (`--seed FILE`,
//! `seed.file`) and on request (`POST /_kmsgate/seed`, the same document as JSON).
//!
//! ```toml
//! [[aws.keys]]
//! account = "111122223333"
//! region = "us-east-1"
//! id = "0d0466b0-e727-4d9c-b35d-f84bb474a37f"
//! aliases = ["alias/payments"]
//! origin = "external"
//! material = "@payments.key"
//! ```
//!
//! The fields every cloud shares (`id`, `aliases`, `description`, `tags`, `spec`, `usage`,
//! `origin`, `material`, `expires`, `state`) are read here; every other field of an entry goes
//! to the entry's dialect ([`dialect_kit::Dialect::seed_placement`]), which names the tenant,
//! turns aliases into the engine's names, reads `spec` and `usage` in the cloud's own names,
//! and refuses fields it does not know. A whole document is checked before anything is written: one bad entry changes
//! nothing, and the message names the entry (and its line, in a file).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use dialect_kit::{Dialect, SeedTerms};
use kms_core::{
    AliasName, Expiry, KeyId, KeySpec, KeyUsage, Kms, Origin, SecretBytes, SeedError, SeedKey,
    SeedMaterial, Seeded, Tags, TenantId, Timestamp,
};
use serde::Deserialize;

use crate::dialect::DialectKind;
use crate::listener::Cloud;
use crate::material_source::MaterialSource;

/// A whole seed document: one section per cloud, each a list of keys.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, bound(deserialize = "E: Deserialize<'de>"))]
struct Document<E> {
    #[serde(default = "Section::empty")]
    aws: Section<E>,
    #[serde(default = "Section::empty")]
    tencent: Section<E>,
    #[serde(default = "Section::empty")]
    huawei: Section<E>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, bound(deserialize = "E: Deserialize<'de>"))]
struct Section<E> {
    #[serde(default = "Vec::new")]
    keys: Vec<E>,
}

impl<E> Section<E> {
    fn empty() -> Self {
        Section { keys: Vec::new() }
    }
}

/// One `[[<cloud>.keys]]` entry as written.
#[derive(Deserialize)]
struct Entry {
    id: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    spec: Option<String>,
    usage: Option<String>,
    origin: Option<String>,
    material: Option<String>,
    expires: Option<u64>,
    state: Option<String>,
    /// The cloud's own fields (tenant, Huawei's `key_alias`); its dialect reads them.
    #[serde(flatten)]
    terms: BTreeMap<String, Term>,
}

/// A cloud field's value: account ids are often written as numbers.
#[derive(Deserialize)]
#[serde(untagged)]
enum Term {
    Text(String),
    Number(u64),
}

impl Term {
    fn text(&self) -> String {
        match self {
            Term::Text(s) => s.clone(),
            Term::Number(n) => n.to_string(),
        }
    }
}

/// Which entry a message is about: `aws.keys[2]`, plus its line in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Place {
    pub kind: DialectKind,
    pub index: usize,
    pub line: Option<usize>,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.keys[{}]", section_name(self.kind), self.index)?;
        match self.line {
            Some(line) => write!(f, " (line {line})"),
            None => Ok(()),
        }
    }
}

/// What a store failure adds when entries before it were written.
fn applied_note(applied: usize) -> String {
    if applied == 0 {
        String::new()
    } else {
        format!(
            " (the {applied} entries before this one were applied; applying the document again applies the rest)"
        )
    }
}

fn section_name(kind: DialectKind) -> &'static str {
    match kind {
        DialectKind::Aws => "aws",
        DialectKind::Tencent => "tencent",
        DialectKind::Huawei => "huawei",
    }
}

/// Why a seed document was not applied; nothing of it was written, except as `Store` and
/// `PartlyApplied` say.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SeedFailure {
    #[error("cannot read the seed file {0}: {1}")]
    Read(PathBuf, std::io::Error),
    /// Not the document's shape (TOML or JSON syntax, unknown sections, wrong types).
    #[error("{0}")]
    Shape(String),
    /// An entry that cannot be a key, or that contradicts another entry.
    #[error("{place}: {message}")]
    Entry { place: Place, message: String },
    /// An entry that contradicts the store (another key under its id, an alias taken).
    #[error("{place}: {message}")]
    Conflict { place: Place, message: String },
    /// The store failed; the `applied` entries before `place` were written.
    #[error("{place}: {message}{}", applied_note(*applied))]
    Store {
        place: Place,
        message: String,
        applied: usize,
    },
    /// The store changed between the check and the write (a client's request took an alias
    /// or an id, or changed a key, meanwhile) after the `applied` entries before `place` were
    /// written (with none written, the entry's own refusal is the answer).
    #[error(
        "{place}: {message} (the store changed while the document was applied: the {applied} entries before this one were applied; applying the document again applies or refuses the rest)"
    )]
    PartlyApplied {
        place: Place,
        message: String,
        applied: usize,
    },
}

/// One entry ready for the engine.
pub(crate) struct Planned {
    pub place: Place,
    pub tenant: TenantId,
    pub key: SeedKey,
}

/// What applying a document did, entry by entry.
#[derive(Debug, Default)]
pub(crate) struct SeedReport {
    pub outcomes: Vec<(Place, KeyId, Seeded)>,
}

impl SeedReport {
    pub(crate) fn count(&self, which: Seeded) -> usize {
        self.outcomes.iter().filter(|(_, _, s)| *s == which).count()
    }
}

/// Where `@path` material references are read from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Files<'a> {
    /// Relative to the seed file's directory.
    RelativeTo(&'a Path),
    /// Not at all: documents sent over HTTP name no server-side files.
    Refused,
}

/// A seed file of thousands of keys is well below this; more is a wrong path.
const MAX_SEED_FILE: u64 = 64 << 20;

/// Reads and plans a seed file.
pub(crate) fn plan_file(path: &Path, clouds: &[Cloud]) -> Result<Vec<Planned>, SeedFailure> {
    let bytes = crate::material_source::read_file(path, MAX_SEED_FILE)
        .map_err(|e| SeedFailure::Read(path.to_owned(), e))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| SeedFailure::Shape(format!("{} is not UTF-8 text", path.display())))?;
    let document: Document<toml::Spanned<Entry>> = toml::from_str(&text)
        .map_err(|e| SeedFailure::Shape(crate::redact::values_hidden(&e.to_string())))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let lines = |span: Range<usize>| Some(line_of(&text, span.start));
    plan(
        entries(document, |e| (lines(e.span()), e.into_inner())),
        clouds,
        Files::RelativeTo(base),
    )
}

/// Plans a seed document sent as JSON.
pub(crate) fn plan_json(body: &[u8], clouds: &[Cloud]) -> Result<Vec<Planned>, SeedFailure> {
    let document: Document<Entry> = serde_json::from_slice(body)
        .map_err(|e| SeedFailure::Shape(crate::redact::values_hidden(&e.to_string())))?;
    plan(entries(document, |e| (None, e)), clouds, Files::Refused)
}

fn entries<E>(
    document: Document<E>,
    unwrap: impl Fn(E) -> (Option<usize>, Entry),
) -> Vec<(Place, Entry)> {
    let mut out = Vec::new();
    for (kind, section) in [
        (DialectKind::Aws, document.aws),
        (DialectKind::Tencent, document.tencent),
        (DialectKind::Huawei, document.huawei),
    ] {
        for (index, e) in section.keys.into_iter().enumerate() {
            let (line, entry) = unwrap(e);
            out.push((Place { kind, index, line }, entry));
        }
    }
    out
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(0, |before| before.bytes().filter(|b| *b == b'\n').count())
        + 1
}

fn plan(
    entries: Vec<(Place, Entry)>,
    clouds: &[Cloud],
    files: Files<'_>,
) -> Result<Vec<Planned>, SeedFailure> {
    let mut planned: Vec<Planned> = Vec::with_capacity(entries.len());
    // Two entries for one key, or one alias for two keys, contradict each other.
    let mut ids: HashMap<(TenantId, KeyId), Place> = HashMap::new();
    let mut aliases: HashMap<(TenantId, AliasName), Place> = HashMap::new();
    for (place, entry) in entries {
        let bad = |message: String| SeedFailure::Entry {
            place: place.clone(),
            message,
        };
        let dialect = clouds
            .iter()
            .find(|c| c.kind == place.kind)
            .map(|c| Arc::clone(&c.dialect))
            .ok_or_else(|| bad(format!("this server has no {} dialect", place.kind)))?;
        let (tenant, key) = key_of(&entry, &*dialect, files).map_err(bad)?;
        if let Some(first) = ids.insert((tenant.clone(), key.id), place.clone()) {
            return Err(bad(format!(
                "key {} is already declared by {first}",
                key.id
            )));
        }
        for alias in &key.aliases {
            if let Some(first) = aliases.insert((tenant.clone(), alias.clone()), place.clone()) {
                return Err(bad(format!("alias {alias} is already declared by {first}")));
            }
        }
        planned.push(Planned { place, tenant, key });
    }
    Ok(planned)
}

fn key_of(
    entry: &Entry,
    dialect: &dyn Dialect,
    files: Files<'_>,
) -> Result<(TenantId, SeedKey), String> {
    let fields: BTreeMap<String, String> = entry
        .terms
        .iter()
        .map(|(name, value)| (name.clone(), value.text()))
        .collect();
    let origin = match entry.origin.as_deref() {
        None | Some("generated") => Origin::Generated,
        Some("external") => Origin::External,
        Some(other) => return Err(format!("origin {other:?} is not generated or external")),
    };
    let placement = dialect.seed_placement(&SeedTerms {
        fields: &fields,
        aliases: &entry.aliases,
        spec: entry.spec.as_deref(),
        usage: entry.usage.as_deref(),
        external: origin == Origin::External,
    })?;
    let tenant = TenantId::new(placement.tenant).map_err(|e| e.to_string())?;
    // The dialect names the engine's spec and usage; a name the engine lacks is its bug.
    let spec = KeySpec::ALL
        .into_iter()
        .find(|s| s.name() == placement.spec)
        .ok_or_else(|| {
            format!(
                "the dialect placed the key with spec {}, which kmsgate does not have",
                placement.spec
            )
        })?;
    let usage = KeyUsage::ALL
        .into_iter()
        .find(|u| u.name() == placement.usage)
        .ok_or_else(|| {
            format!(
                "the dialect placed the key with usage {}, which kmsgate does not have",
                placement.usage
            )
        })?;
    let id: KeyId = entry.id.parse().map_err(|_| {
        format!(
            "id {:?} is not a key id (a UUID such as 0d0466b0-e727-4d9c-b35d-f84bb474a37f)",
            entry.id
        )
    })?;
    let enabled = match entry.state.as_deref() {
        None | Some("enabled") => true,
        Some("disabled") => false,
        Some(other) => return Err(format!("state {other:?} is not enabled or disabled")),
    };
    // Whether it is still ahead is the engine's question: it matters only when the key is
    // created, not when a key made from this entry earlier is found again.
    let expiry = match entry.expires {
        None => Expiry::Never,
        Some(secs) => Expiry::At(Timestamp::from_secs(secs)),
    };
    let material = match &entry.material {
        None if entry.expires.is_some() => {
            return Err("expires is for given material; this entry gives none".to_owned());
        }
        None => SeedMaterial::Absent,
        Some(source) => SeedMaterial::Given {
            secret: SecretBytes::from(material(source, files)?),
            expiry,
        },
    };
    let tags = Tags::from_pairs(entry.tags.clone()).map_err(|e| format!("tags: {e}"))?;
    let aliases = placement
        .aliases
        .into_iter()
        .map(|a| AliasName::new(a).map_err(|e| format!("alias: {e}")))
        .collect::<Result<_, _>>()?;
    Ok((
        tenant,
        SeedKey {
            id,
            spec,
            usage,
            origin,
            description: entry.description.clone(),
            tags,
            material,
            enabled,
            aliases,
        },
    ))
}

fn material(source: &str, files: Files<'_>) -> Result<Vec<u8>, String> {
    let why = |why: String| format!("material: {why}");
    match MaterialSource::parse(source).map_err(why)? {
        MaterialSource::Bytes(bytes) => Ok(bytes),
        MaterialSource::Random(_) => Err(why(
            "random:N is not for seeding: leave material out for random material (generated keys)"
                .to_owned(),
        )),
        MaterialSource::File(path) => match files {
            Files::RelativeTo(base) => {
                let path = base.join(path);
                let bytes =
                    crate::material_source::read_file(&path, crate::material_source::MAX_FILE)
                        .map_err(|e| why(format!("cannot read {}: {e}", path.display())))?;
                private_key_der(bytes).map_err(why)
            }
            Files::Refused => Err(why(
                "@FILE names a file on the server; send hex: or base64: material over HTTP"
                    .to_owned(),
            )),
        },
    }
}

/// A file's material as the engine takes it: the bytes as they are, or the DER inside a PEM
/// `PRIVATE KEY` (PKCS#8) block, the form `openssl genpkey` writes private keys in.
fn private_key_der(bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    use base64::Engine as _;
    use zeroize::Zeroizing;

    const BEGIN: &str = "-----BEGIN ";
    let bytes = Zeroizing::new(bytes);
    // A byte order mark or blank lines may come first (an editor's, a tool's).
    let start = bytes
        .strip_prefix("\u{feff}".as_bytes())
        .unwrap_or(&bytes)
        .trim_ascii_start();
    if !start.starts_with(BEGIN.as_bytes()) {
        return Ok(bytes.to_vec());
    }
    let text = std::str::from_utf8(start).map_err(|_| "a PEM file must be text".to_owned())?;
    let mut lines = text.lines().map(str::trim);
    let label = lines
        .next()
        .and_then(|l| l.strip_prefix(BEGIN))
        .and_then(|l| l.strip_suffix("-----"))
        .unwrap_or_default();
    if label != "PRIVATE KEY" {
        return Err(format!(
            "a PEM {label:?} block; seeds take PKCS#8 \"PRIVATE KEY\" (openssl pkcs8 -topk8 -nocrypt converts one)"
        ));
    }
    let mut body = Zeroizing::new(String::new());
    let mut ended = false;
    for line in lines.by_ref() {
        if line == "-----END PRIVATE KEY-----" {
            ended = true;
            break;
        }
        body.push_str(line);
    }
    if !ended {
        return Err("the PEM block has no -----END PRIVATE KEY----- line".to_owned());
    }
    if lines.any(|l| !l.is_empty()) {
        return Err("the PEM file holds more than one block; give one key per file".to_owned());
    }
    base64::engine::general_purpose::STANDARD
        .decode(body.as_bytes())
        .map_err(|_| "the PEM block is not valid base64".to_owned())
}

/// Documents apply one at a time in a process, so one never invalidates another's check.
static APPLYING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Checks every entry against the store, then applies them in order. A refusal in the check
/// changes nothing; a store failure while applying leaves the entries before it applied
/// (each one is idempotent, so applying the document again finishes the job), and so does a
/// conflict a client's request created between the check and the write, which says so.
pub(crate) fn apply(kms: &Kms, planned: &[Planned]) -> Result<SeedReport, SeedFailure> {
    // Guards no data: a poisoned lock only says that another document's apply panicked.
    let _one_at_a_time = APPLYING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for p in planned {
        kms.check_seed_key(&p.tenant, &p.key)
            .map_err(|e| failure(&p.place, e))?;
    }
    let mut report = SeedReport::default();
    for p in planned {
        let applied = report.outcomes.len();
        let outcome = kms
            .seed_key(&p.tenant, &p.key)
            .map_err(|e| match failure(&p.place, e) {
                // The entry passed its check, so the store (or the clock) changed since.
                SeedFailure::Conflict { place, message }
                | SeedFailure::Entry { place, message }
                    if applied > 0 =>
                {
                    SeedFailure::PartlyApplied {
                        place,
                        message,
                        applied,
                    }
                }
                SeedFailure::Store { place, message, .. } => SeedFailure::Store {
                    place,
                    message,
                    applied,
                },
                other => other,
            })?;
        report.outcomes.push((p.place.clone(), p.key.id, outcome));
    }
    Ok(report)
}

fn failure(place: &Place, e: SeedError) -> SeedFailure {
    let place = place.clone();
    match e {
        SeedError::Conflict(c) => SeedFailure::Conflict {
            place,
            message: c.to_string(),
        },
        SeedError::Kms(kms_core::KmsError::Internal(e)) => SeedFailure::Store {
            place,
            message: e.to_string(),
            applied: 0,
        },
        // Everything else is the entry's own fault (material length, expiry).
        SeedError::Kms(e) => SeedFailure::Entry {
            place,
            message: e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use kms_core::{
        Clock, Expiry, KeySpec, ManualClock, Origin, RootKey, SecretBytes, SeedMaterial, Tags,
        Timestamp,
    };

    use super::*;
    use kms_core::testing::{Interloper, disk_full};

    const START: Timestamp = Timestamp::from_secs(1_700_000_000);

    fn entry(index: usize, material: SeedMaterial, origin: Origin) -> Planned {
        let id = format!("0d0466b0-e727-4d9c-b35d-f84bb474a3{index:02}");
        Planned {
            place: Place {
                kind: DialectKind::Aws,
                index,
                line: None,
            },
            tenant: TenantId::new("aws/111122223333/us-east-1").unwrap(),
            key: SeedKey {
                id: id.parse().unwrap(),
                spec: KeySpec::Aes256,
                usage: kms_core::KeyUsage::EncryptDecrypt,
                origin,
                description: String::new(),
                tags: Tags::new(),
                material,
                enabled: true,
                aliases: Vec::new(),
            },
        }
    }

    fn engine(store: &Arc<Interloper>) -> (Kms, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new(START));
        let kms = Kms::builder(store.clone(), &RootKey::from_bytes([3; 32]))
            .clock(clock.clone() as Arc<dyn Clock>)
            .build();
        (kms, clock)
    }

    #[test]
    fn a_pem_private_key_file_gives_its_der_and_other_files_their_bytes() {
        let der = vec![0x30, 0x03, 0x02, 0x01, 0x00];
        let pem = "-----BEGIN PRIVATE KEY-----\nMAMCAQA=\n-----END PRIVATE KEY-----\n";
        assert_eq!(private_key_der(pem.as_bytes().to_vec()).unwrap(), der);
        assert_eq!(private_key_der(der.clone()).unwrap(), der);
        let pkcs1 = "-----BEGIN RSA PRIVATE KEY-----\nMAMCAQA=\n-----END RSA PRIVATE KEY-----\n";
        let refused = private_key_der(pkcs1.as_bytes().to_vec()).unwrap_err();
        assert!(refused.contains("openssl pkcs8"), "{refused}");
        let garbled = "-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----\n";
        assert!(private_key_der(garbled.as_bytes().to_vec()).is_err());
        // CRLF, a byte order mark and blank lines before it are fine.
        let windows = "\u{feff}\r\n-----BEGIN PRIVATE KEY-----\r\nMAMC\r\nAQA=\r\n-----END PRIVATE KEY-----\r\n";
        assert_eq!(private_key_der(windows.as_bytes().to_vec()).unwrap(), der);
        let unended = "-----BEGIN PRIVATE KEY-----\nMAMCAQA=\n";
        assert!(
            private_key_der(unended.as_bytes().to_vec())
                .unwrap_err()
                .contains("END")
        );
        let two = format!("{pem}{pem}");
        assert!(
            private_key_der(two.into_bytes())
                .unwrap_err()
                .contains("one key per file")
        );
    }

    #[test]
    fn a_store_failure_after_some_entries_says_how_many_were_applied() {
        let store = Arc::new(Interloper::default());
        let (kms, _) = engine(&store);
        store.on_each_key_update(|n| if n >= 2 { Err(disk_full()) } else { Ok(()) });
        let entries = [
            entry(0, SeedMaterial::Absent, Origin::Generated),
            entry(1, SeedMaterial::Absent, Origin::Generated),
        ];
        let failure = apply(&kms, &entries).err().unwrap();
        assert!(
            matches!(failure, SeedFailure::Store { applied: 1, .. }),
            "{failure:?}"
        );
        assert!(
            failure
                .to_string()
                .contains("the 1 entries before this one were applied"),
            "{failure}"
        );
    }

    /// An entry whose material expires between the check and its write: refused as it is
    /// written. After an applied entry, the answer says so; as the first, nothing was written
    /// and the entry's own refusal is the answer.
    #[test]
    fn an_entry_refused_at_its_write_says_whether_others_were_applied() {
        let expiring = || SeedMaterial::Given {
            secret: SecretBytes::from(vec![5; 32]),
            expiry: Expiry::At(START.saturating_add(Duration::from_secs(5))),
        };
        for (first, expected_applied) in [(false, 1), (true, 0)] {
            let store = Arc::new(Interloper::default());
            let (kms, clock) = engine(&store);
            let refused_at = if first { 1 } else { 2 };
            let moved = clock.clone();
            store.on_each_key_update(move |n| {
                if n == refused_at {
                    moved.advance(Duration::from_secs(10));
                }
                Ok(())
            });
            let mut entries = vec![
                entry(0, SeedMaterial::Absent, Origin::Generated),
                entry(1, expiring(), Origin::External),
            ];
            if first {
                entries.reverse();
            }
            let failure = apply(&kms, &entries).err().unwrap();
            match (&failure, expected_applied) {
                (SeedFailure::PartlyApplied { applied, .. }, 1) => assert_eq!(*applied, 1),
                (SeedFailure::Entry { .. }, 0) => {}
                _ => panic!("{failure:?}"),
            }
        }
    }
}
