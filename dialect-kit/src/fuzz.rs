//! Fuzzing a dialect in-process (feature `fuzz`, for the dialects' tests): structure-aware
//! mutations of valid requests, driven through [`crate::Dialect::handle`] without HTTP, and
//! the oracle every answer is held to.
//!
//! Each dialect's test supplies a [`Target`]: a fixture (an engine with a few keys in every
//! state), one valid template per operation it routes, and how to read its answers. The
//! [`run`] loop then, for each case, picks a template, stacks one to three mutations on it
//! ([`Mutator`]) and checks that
//!
//! - `handle` does not panic;
//! - the answer is not a server error (a healthy in-memory store has no server faults, so
//!   every 5xx, or Tencent `InternalError`, is a finding) and is well-formed;
//! - a refused request changed nothing: every key and alias record is byte-for-byte what it
//!   was before;
//! - a strict-mode request whose body or method was changed after signing is refused (the
//!   signature binds them).
//!
//! Everything is derived from a seed and the case index with a dependency-free PRNG, so a
//! finding is replayed by its `(seed, case)`. The fixture's own randomness (key ids, IVs,
//! wrapped material) differs between runs, but never the shape of what is mutated: ids and
//! blobs keep their lengths, so the same mutations land on the same places.
//!
//! No `arbitrary`/`proptest`: a seeded loop runs on stable as a plain `#[test]`, needs no
//! nightly `cargo fuzz`, shrinks nothing (a finding prints the exact request instead), and
//! its case count is one environment variable.

use std::collections::BTreeMap;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

/// splitmix64 (Steele, Lea, Flood 2014): one `u64` of state, statistically good enough to
/// pick mutations, and trivially reproducible from a seed.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// The generator of one case: independent of every other case's, so any case can be
    /// replayed without drawing the numbers of the cases before it.
    pub fn for_case(seed: u64, case: u64) -> Self {
        Rng::new(mix(seed ^ mix(case.wrapping_add(0x9e37_79b9_7f4a_7c15))))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.state)
    }

    /// Uniform enough in `0..n` (0 when `n` is 0); the modulo bias is irrelevant here.
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        usize::try_from(self.next_u64() % n as u64).unwrap_or(0)
    }

    /// True one time in `n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            items.get(self.below(items.len()))
        }
    }
}

/// What a dialect's test knows about its wire protocol, for mutations to be more than noise.
#[derive(Clone, Debug, Default)]
pub struct Vocabulary {
    /// Headers that route a request (`x-amz-target`, `x-tc-action`, `x-tc-version`...) with
    /// values worth routing to: every operation, near misses and unknown ones.
    pub routing: Vec<(String, Vec<String>)>,
    /// Paths of every route (for path-routed dialects), near misses and unknown ones.
    pub paths: Vec<String>,
    /// Strings worth trying in any field: other keys' ids, ARNs, aliases, algorithm and
    /// spec names, tokens, blobs.
    pub strings: Vec<String>,
    /// Headers worth adding: other content types, tokens, auth schemes.
    pub headers: Vec<(String, String)>,
    /// Headers that may declare the body's hash (`x-sdk-content-sha256`...): a mutation sets
    /// one to the hash of the template's body, or `UNSIGNED-PAYLOAD`, before changing it.
    pub hash_headers: Vec<String>,
    /// JSON values (whole and every part), member names and bodies of every template,
    /// filled by [`Vocabulary::harvest`].
    pub values: Vec<Value>,
    pub names: Vec<String>,
    pub bodies: Vec<Vec<u8>>,
}

impl Vocabulary {
    /// Learns the JSON values, member names and bodies of `templates`, so a mutation can
    /// move a value from one operation into another (the ciphertext where a key id goes).
    pub fn harvest(&mut self, templates: &[Template]) {
        fn walk(v: &Value, values: &mut Vec<Value>, names: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    for (k, child) in m {
                        names.push(k.clone());
                        walk(child, values, names);
                    }
                }
                Value::Array(a) => a.iter().for_each(|c| walk(c, values, names)),
                _ => {}
            }
            values.push(v.clone());
        }
        for t in templates {
            if let Ok(v) = serde_json::from_slice::<Value>(t.request.body()) {
                walk(&v, &mut self.values, &mut self.names);
            }
            if !t.request.body().is_empty() {
                self.bodies.push(t.request.body().clone());
            }
        }
        self.names.sort();
        self.names.dedup();
    }
}

/// A valid request of one operation, as a client would send it.
#[derive(Debug)]
pub struct Template {
    /// Names the operation and the variant (`"Encrypt by alias"`), for reports.
    pub label: String,
    /// Which of the target's dialect instances answers it (permissive, strict...).
    pub lane: usize,
    pub request: http::Request<Vec<u8>>,
    /// A strict-mode request with a real signature: a minority of cases use these.
    pub strict: bool,
    /// The signature covers the method and the exact body bytes, so a request whose body
    /// or method was changed after signing must be refused.
    pub binds_body: bool,
}

/// How a target reads an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The operation was done.
    Success,
    /// A client error in the cloud's shape: nothing may have changed.
    Refused,
    /// The service's own fault (5xx, Tencent `InternalError`): why, for the report.
    ServerError(String),
    /// Not an answer the cloud's SDK could read (wrong content type, broken JSON...).
    Malformed(String),
}

/// What one dialect's fuzz test provides.
pub trait Target {
    /// Every stored record, to tell whether a refused request changed anything.
    type Snapshot;

    /// `aws`, `tencent`, `huawei`.
    fn name(&self) -> &str;

    /// A fresh fixture (engine, keys in every state) and its templates; called at the start
    /// and every [`Config::rebuild_every`] cases (`block` counts them), so templates stay
    /// valid however many keys earlier cases disabled or scheduled for deletion.
    fn rebuild(&mut self, block: u64) -> Result<(Vec<Template>, Vocabulary), String>;

    fn handle(&self, lane: usize, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>>;

    fn snapshot(&self) -> Self::Snapshot;

    /// What differs between two snapshots, or `None` when they are identical.
    fn difference(&self, before: &Self::Snapshot, after: &Self::Snapshot) -> Option<String>;

    fn verdict(&self, response: &http::Response<Vec<u8>>) -> Verdict;

    /// Whether the template's signature is still what authenticates `request`, so that the
    /// signature must bind its body and method: false when a mutation added a credential the
    /// dialect takes instead (Huawei's `X-Auth-Token`, which binds no body by design).
    fn still_signed(&self, _template: &Template, _request: &http::Request<Vec<u8>>) -> bool {
        true
    }

    /// Signs a mutated strict-mode request afresh, so that mutations also reach what lies
    /// behind the signature check; `false` if this target does not.
    fn resign(&self, _template: &Template, _request: &mut http::Request<Vec<u8>>) -> bool {
        false
    }

    /// Why `finding` is a known, reported finding that must not fail the run (`None`: it
    /// is new). Every entry names where it is tracked; the list is meant to stay empty.
    fn known_finding(&self, _finding: &Finding) -> Option<&'static str> {
        None
    }
}

/// How long and from where to run.
#[derive(Clone, Debug)]
pub struct Config {
    pub seed: u64,
    /// The first case to report; the run starts at the beginning of its fixture block, so
    /// the engine holds what it held when that case first ran.
    pub first: u64,
    pub cases: u64,
    pub rebuild_every: u64,
    /// Stop early after this many new findings.
    pub max_findings: usize,
    /// Print every case (for replaying one).
    pub verbose: bool,
}

/// The fixed default seed (`"kmsgate1"`), so CI runs the same cases every time.
pub const DEFAULT_SEED: u64 = 0x6b6d_7367_6174_6531;

impl Config {
    /// From `KMSGATE_FUZZ_CASES` (default `default_cases`), `KMSGATE_FUZZ_SEED` (decimal or
    /// `0x` hex; default [`DEFAULT_SEED`]), `KMSGATE_FUZZ_FIRST` (default 0) and
    /// `KMSGATE_FUZZ_VERBOSE` (set: print every case).
    pub fn from_env(default_cases: u64) -> Result<Config, String> {
        let number = |name: &str, default: u64| -> Result<u64, String> {
            match std::env::var(name) {
                Err(_) => Ok(default),
                Ok(text) => {
                    let text = text.trim().replace('_', "");
                    let parsed = match text.strip_prefix("0x") {
                        Some(hex) => u64::from_str_radix(hex, 16),
                        None => text.parse(),
                    };
                    parsed.map_err(|_| format!("{name}={text:?} is not a number"))
                }
            }
        };
        Ok(Config {
            seed: number("KMSGATE_FUZZ_SEED", DEFAULT_SEED)?,
            first: number("KMSGATE_FUZZ_FIRST", 0)?,
            cases: number("KMSGATE_FUZZ_CASES", default_cases)?,
            rebuild_every: 500,
            max_findings: 20,
            verbose: std::env::var_os("KMSGATE_FUZZ_VERBOSE").is_some(),
        })
    }
}

/// Which oracle a case failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FindingKind {
    Panic(String),
    ServerError(String),
    Malformed(String),
    /// A refused request changed stored records: what changed.
    RefusedButChanged(String),
    /// A strict-mode request whose body or method changed after signing was answered.
    SignatureDidNotBind,
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FindingKind::Panic(m) => write!(f, "panic: {m}"),
            FindingKind::ServerError(m) => write!(f, "server error for a client mistake: {m}"),
            FindingKind::Malformed(m) => write!(f, "malformed answer: {m}"),
            FindingKind::RefusedButChanged(d) => write!(f, "refused, yet the store changed: {d}"),
            FindingKind::SignatureDidNotBind => f.write_str(
                "strict mode answered a request whose body or method changed after signing",
            ),
        }
    }
}

/// One failed case, with everything needed to replay it.
#[derive(Clone, Debug)]
pub struct Finding {
    pub target: String,
    pub seed: u64,
    pub case: u64,
    pub template: String,
    pub mutations: Vec<String>,
    pub kind: FindingKind,
    /// The mutated request as sent (headers and body shown lossily, long values cut).
    pub request: String,
    pub response: String,
    /// The request itself, for [`Target::known_finding`] to inspect.
    pub method: http::Method,
    pub headers: http::HeaderMap,
    pub body_changed: bool,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "[{}] case {} (seed {:#x}), template {:?}: {}",
            self.target, self.case, self.seed, self.template, self.kind
        )?;
        writeln!(
            f,
            "  replay: KMSGATE_FUZZ_SEED={:#x} KMSGATE_FUZZ_FIRST={} KMSGATE_FUZZ_CASES=1 KMSGATE_FUZZ_VERBOSE=1",
            self.seed, self.case
        )?;
        writeln!(f, "  mutations: {}", self.mutations.join("; "))?;
        writeln!(f, "  request:\n{}", indent(&self.request))?;
        write!(f, "  response: {}", self.response)
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Report {
    pub target: String,
    pub seed: u64,
    /// Cases run, including those replayed to reach [`Config::first`].
    pub cases: u64,
    pub elapsed: Duration,
    pub answered: u64,
    pub refused: u64,
    /// Cases of strict-mode templates.
    pub strict: u64,
    /// New findings: the run fails if there is any.
    pub findings: Vec<Finding>,
    /// Findings the target lists as known, with where each is tracked.
    pub known: Vec<(Finding, &'static str)>,
    /// Per operation (as the dialect's summary names it): answered and refused cases.
    pub operations: BTreeMap<&'static str, (u64, u64)>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "fuzz {}: {} cases (seed {:#x}, {} strict) in {:.1} s: {} answered, {} refused, {} findings, {} known findings",
            self.target,
            self.cases,
            self.seed,
            self.strict,
            self.elapsed.as_secs_f64(),
            self.answered,
            self.refused,
            self.findings.len(),
            self.known.len()
        )?;
        let ops: Vec<String> = self
            .operations
            .iter()
            .map(|(op, (ok, refused))| format!("{op} {ok}/{refused}"))
            .collect();
        write!(f, "  per operation (answered/refused): {}", ops.join(", "))?;
        for (finding, why) in &self.known {
            write!(f, "\n  known ({why}):\n{}", indent(&finding.to_string()))?;
        }
        for finding in &self.findings {
            write!(f, "\n{finding}")?;
        }
        Ok(())
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// Runs `config.cases` cases against `target`; the report lists every finding. Fails only
/// when the target cannot build its fixture.
pub fn run<T: Target>(target: &mut T, config: &Config) -> Result<Report, String> {
    let started = Instant::now();
    let every = config.rebuild_every.max(1);
    let start = config.first - config.first % every;
    let end = config.first.saturating_add(config.cases);
    let mut report = Report {
        target: target.name().to_owned(),
        seed: config.seed,
        ..Report::default()
    };
    let mut fixture: Option<(Vec<Template>, Vocabulary)> = None;
    let mut case = start;
    while case < end && report.findings.len() < config.max_findings {
        if case.is_multiple_of(every) || fixture.is_none() {
            fixture = Some(target.rebuild(case / every)?);
        }
        let Some((templates, vocabulary)) = fixture.as_ref() else {
            return Err("no fixture".to_owned());
        };
        let broken = run_case(target, config, case, templates, vocabulary, &mut report);
        // A panic may have left the engine mid-change (a poisoned lock): start afresh.
        if broken {
            fixture = None;
        }
        case += 1;
    }
    report.cases = case - start;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// One case; true if the fixture must be rebuilt.
fn run_case<T: Target>(
    target: &T,
    config: &Config,
    case: u64,
    templates: &[Template],
    vocabulary: &Vocabulary,
    report: &mut Report,
) -> bool {
    let mut rng = Rng::for_case(config.seed, case);
    let (strict, lax): (Vec<&Template>, Vec<&Template>) = templates.iter().partition(|t| t.strict);
    // One case in five exercises the strict lanes (authentication paths); the rest go deep
    // through the operations in permissive mode.
    let pool = if !strict.is_empty() && (lax.is_empty() || rng.one_in(5)) {
        &strict
    } else {
        &lax
    };
    let Some(template) = rng.pick(pool).copied() else {
        return false;
    };
    let mut mutator = Mutator::new(rng);
    let (mut request, mut mutations) = mutator.mutate(&template.request, vocabulary);
    let body_changed =
        request.body() != template.request.body() || request.method() != template.request.method();
    let mut bound = template.binds_body && target.still_signed(template, &request);
    if template.strict && mutator.rng.one_in(2) && target.resign(template, &mut request) {
        mutations.push("signed afresh".to_owned());
        // The new signature covers the changes.
        bound = false;
    }
    if template.strict {
        report.strict += 1;
    }
    let shown = show_request(&request);
    let method = request.method().clone();
    let headers = request.headers().clone();
    // Cases before `first` only rebuild the engine's state; they are not shown.
    let verbose = config.verbose && case >= config.first;
    if verbose {
        println!(
            "case {case} {:?}: {}\n{}",
            template.label,
            mutations.join("; "),
            indent(&shown)
        );
    }
    let before = target.snapshot();
    let outcome = catch_unwind(AssertUnwindSafe(|| target.handle(template.lane, request)));
    let finding = |kind: FindingKind, response: String| Finding {
        target: target.name().to_owned(),
        seed: config.seed,
        case,
        template: template.label.clone(),
        mutations: mutations.clone(),
        kind,
        request: shown.clone(),
        response,
        method: method.clone(),
        headers: headers.clone(),
        body_changed,
    };
    let response = match outcome {
        Ok(r) => r,
        Err(payload) => {
            record(
                target,
                report,
                finding(FindingKind::Panic(panic_message(&*payload)), String::new()),
            );
            return true;
        }
    };
    let shown_response = show_response(&response);
    if verbose {
        println!("  -> {shown_response}");
    }
    let operation = crate::Summary::of(&response).and_then(|s| s.operation);
    let verdict = target.verdict(&response);
    let tally = report
        .operations
        .entry(operation.unwrap_or("(unrouted)"))
        .or_default();
    match &verdict {
        Verdict::Success => tally.0 += 1,
        _ => tally.1 += 1,
    }
    match verdict {
        Verdict::Success => {
            report.answered += 1;
            if bound && body_changed {
                record(
                    target,
                    report,
                    finding(FindingKind::SignatureDidNotBind, shown_response),
                );
            }
        }
        Verdict::Refused => {
            report.refused += 1;
            if let Some(d) = target.difference(&before, &target.snapshot()) {
                record(
                    target,
                    report,
                    finding(FindingKind::RefusedButChanged(d), shown_response),
                );
            }
        }
        Verdict::ServerError(why) => {
            report.refused += 1;
            record(
                target,
                report,
                finding(FindingKind::ServerError(why), shown_response),
            );
        }
        Verdict::Malformed(why) => {
            record(
                target,
                report,
                finding(FindingKind::Malformed(why), shown_response),
            );
        }
    }
    false
}

fn record<T: Target>(target: &T, report: &mut Report, finding: Finding) {
    match target.known_finding(&finding) {
        Some(why) => report.known.push((finding, why)),
        None => report.findings.push(finding),
    }
}

/// At most `max` characters of `text`, saying how much was left out.
fn cut(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_owned();
    }
    let head: String = text.chars().take(max).collect();
    format!("{head}… ({count} characters in all)")
}

/// The request as a report shows it: method, URI, headers, body (lossy UTF-8, cut).
pub fn show_request(request: &http::Request<Vec<u8>>) -> String {
    let mut out = format!(
        "{} {}\n",
        request.method(),
        cut(&request.uri().to_string(), 400)
    );
    for (name, value) in request.headers() {
        out.push_str(&format!(
            "{name}: {}\n",
            cut(&String::from_utf8_lossy(value.as_bytes()), 300)
        ));
    }
    out.push_str(&format!(
        "body ({} bytes): {}",
        request.body().len(),
        cut(&String::from_utf8_lossy(request.body()), 2000)
    ));
    out
}

fn show_response(response: &http::Response<Vec<u8>>) -> String {
    format!(
        "{} {}",
        response.status(),
        cut(&String::from_utf8_lossy(response.body()), 600)
    )
}

/// The parts of a request while it is being mutated.
struct Draft {
    method: String,
    path: String,
    query: Option<String>,
    headers: Vec<(http::HeaderName, Vec<u8>)>,
    body: Vec<u8>,
}

/// Stacks structure-aware mutations on templates.
#[derive(Debug)]
pub struct Mutator {
    rng: Rng,
}

/// A JSON text that `serde_json::Value` cannot hold (too deep, out of range, invalid
/// escapes), spliced into the serialized body in place of a marker string.
const RAW_MARKER: &str = "\u{1}kmsgate-fuzz-raw\u{1}";

impl Mutator {
    pub fn new(rng: Rng) -> Self {
        Mutator { rng }
    }

    /// A mutated copy of `template` (one to three stacked mutations) and what was done, one
    /// short description per mutation.
    pub fn mutate(
        &mut self,
        template: &http::Request<Vec<u8>>,
        vocabulary: &Vocabulary,
    ) -> (http::Request<Vec<u8>>, Vec<String>) {
        let mut draft = Draft {
            method: template.method().as_str().to_owned(),
            path: template.uri().path().to_owned(),
            query: template.uri().query().map(str::to_owned),
            headers: template
                .headers()
                .iter()
                .map(|(n, v)| (n.clone(), v.as_bytes().to_vec()))
                .collect(),
            body: template.body().clone(),
        };
        let original_body = template.body().clone();
        // Mostly one mutation, so that most cases fail in one place and get deep; stacks of
        // two and three for the interactions.
        let count = match self.rng.below(10) {
            0..=5 => 1,
            6..=8 => 2,
            _ => 3,
        };
        let mut done = Vec::with_capacity(count);
        for _ in 0..count {
            let what = match self.rng.below(100) {
                0..=44 => self.body(&mut draft, vocabulary),
                45..=69 => self.header(&mut draft, vocabulary, &original_body),
                70..=79 => self.routing(&mut draft, vocabulary),
                80..=94 => self.uri(&mut draft, vocabulary),
                _ => self.method(&mut draft),
            };
            done.push(what);
        }
        (self.assemble(draft, template), done)
    }

    fn assemble(
        &mut self,
        draft: Draft,
        template: &http::Request<Vec<u8>>,
    ) -> http::Request<Vec<u8>> {
        let method = http::Method::from_bytes(draft.method.as_bytes())
            .unwrap_or_else(|_| template.method().clone());
        let text = match &draft.query {
            Some(q) => format!("{}?{q}", draft.path),
            None => draft.path.clone(),
        };
        // A URI `http` refuses could never reach a dialect (the server cannot represent it):
        // escape what it refuses, or keep the template's.
        let uri = http::Uri::try_from(text.as_str())
            .or_else(|_| http::Uri::try_from(escape_uri(&text)))
            .unwrap_or_else(|_| template.uri().clone());
        let mut request = http::Request::new(draft.body);
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        for (name, value) in draft.headers {
            if let Ok(v) = http::HeaderValue::from_bytes(&value) {
                request.headers_mut().append(name, v);
            }
        }
        request
    }

    // ---- bodies -------------------------------------------------------------------------

    fn body(&mut self, draft: &mut Draft, vocabulary: &Vocabulary) -> String {
        let json = serde_json::from_slice::<Value>(&draft.body).ok();
        match (json, self.rng.below(10)) {
            (Some(value), 0..=5) => self.json(draft, value, vocabulary),
            (Some(Value::Object(map)), 6) if !map.is_empty() => {
                self.duplicate_member(draft, &map, vocabulary)
            }
            _ => self.raw_body(draft, vocabulary),
        }
    }

    fn json(&mut self, draft: &mut Draft, mut root: Value, vocabulary: &Vocabulary) -> String {
        let mut paths = Vec::new();
        collect_paths(&root, &mut Vec::new(), &mut paths);
        let path = self.rng.pick(&paths).cloned().unwrap_or_default();
        let shown = show_path(&path);
        let mut raw = None;
        let what = match self.rng.below(8) {
            0..=2 => {
                let (value, text, what) = self.nasty_value(vocabulary);
                raw = text;
                set_at(&mut root, &path, value);
                format!("{shown} = {what}")
            }
            3 => {
                let value = self
                    .rng
                    .pick(&vocabulary.strings)
                    .map(|s| Value::String(s.clone()))
                    .unwrap_or(Value::Null);
                set_at(&mut root, &path, value);
                format!("{shown} = a vocabulary string")
            }
            4 => {
                let value = self
                    .rng
                    .pick(&vocabulary.values)
                    .cloned()
                    .unwrap_or(Value::Null);
                set_at(&mut root, &path, value);
                format!("{shown} = a value of another template")
            }
            5 => {
                if remove_at(&mut root, &path) {
                    format!("removed {shown}")
                } else {
                    "removed nothing (the root)".to_owned()
                }
            }
            6 => {
                // An unknown member, or a real member name where it does not belong.
                let name = match self.rng.pick(&vocabulary.names) {
                    Some(n) if self.rng.one_in(2) => n.clone(),
                    _ => self.junk_string(),
                };
                let (value, text, what) = self.nasty_value(vocabulary);
                raw = text;
                let target = get_at_mut(&mut root, &path);
                match target {
                    Some(Value::Object(m)) => {
                        m.insert(name.clone(), value);
                    }
                    Some(Value::Array(a)) => a.push(value),
                    Some(other) => *other = Value::Object(Map::from_iter([(name.clone(), value)])),
                    None => {}
                }
                format!("added {name:?} = {what} at {shown}")
            }
            _ => {
                // The member's name in another case: SDKs and clouds disagree on case.
                rename_case(&mut root, &path);
                format!("changed the case of {shown}")
            }
        };
        draft.body = serialize(&root, raw.as_deref());
        what
    }

    /// Duplicate member names, which `serde_json::Map` cannot hold, written as text.
    fn duplicate_member(
        &mut self,
        draft: &mut Draft,
        map: &Map<String, Value>,
        vocabulary: &Vocabulary,
    ) -> String {
        let names: Vec<&String> = map.keys().collect();
        let Some(name) = self.rng.pick(&names).map(|n| (*n).clone()) else {
            return "no member to duplicate".to_owned();
        };
        let (value, raw, what) = self.nasty_value(vocabulary);
        let text = serialize(&value, raw.as_deref());
        let member = format!(
            "{}:{}",
            Value::String(name.clone()),
            String::from_utf8_lossy(&text)
        );
        let Some(open) = draft.body.iter().position(|&b| b == b'{') else {
            return "no object to duplicate a member in".to_owned();
        };
        let (at, joined) = if self.rng.one_in(2) {
            (open + 1, format!("{member},"))
        } else {
            let close = draft
                .body
                .iter()
                .rposition(|&b| b == b'}')
                .unwrap_or(open + 1);
            (close, format!(",{member}"))
        };
        draft.body.splice(at..at, joined.into_bytes());
        format!("duplicated member {name:?} with {what}")
    }

    fn raw_body(&mut self, draft: &mut Draft, vocabulary: &Vocabulary) -> String {
        let len = draft.body.len();
        match self.rng.below(12) {
            0 => {
                let i = self.rng.below(len.max(1));
                if let Some(b) = draft.body.get_mut(i) {
                    *b ^= 1 << self.rng.below(8);
                }
                format!("flipped a bit of body byte {i}")
            }
            1 => {
                let i = self.rng.below(len + 1);
                let bytes = self.junk_bytes();
                let n = bytes.len();
                draft.body.splice(i..i, bytes);
                format!("inserted {n} junk bytes at {i}")
            }
            2 => {
                let i = self.rng.below(len + 1);
                let n = (1 + self.rng.below(16)).min(len - i);
                draft.body.drain(i..i + n);
                format!("deleted {n} body bytes at {i}")
            }
            3 => {
                let n = self.rng.below(len + 1);
                draft.body.truncate(n);
                format!("truncated the body to {n} bytes")
            }
            4 => {
                draft.body.clear();
                "emptied the body".to_owned()
            }
            5 => {
                let other = self
                    .rng
                    .pick(&vocabulary.bodies)
                    .cloned()
                    .unwrap_or_default();
                draft.body = other;
                "the body of another template".to_owned()
            }
            6 => {
                let copy = draft.body.clone();
                draft.body.extend_from_slice(&copy);
                "the body twice".to_owned()
            }
            7 => {
                let prefix: &[u8] = match self.rng.below(4) {
                    0 => b"\xef\xbb\xbf",
                    1 => b" \r\n\t",
                    2 => b"\x00",
                    _ => b"\xff\xfe",
                };
                draft.body.splice(0..0, prefix.iter().copied());
                "a prefix before the body".to_owned()
            }
            8 => {
                let text = match self.rng.below(6) {
                    0 => "null".to_owned(),
                    1 => "[]".to_owned(),
                    2 => "\"a string\"".to_owned(),
                    3 => "12345678901234567890123".to_owned(),
                    4 => format!("{}{}", "[".repeat(20_000), "]".repeat(20_000)),
                    _ => format!(
                        "{{\"a\":{}1{}}}",
                        "{\"a\":".repeat(5_000),
                        "}".repeat(5_000)
                    ),
                };
                draft.body = text.into_bytes();
                "a body that is not an object".to_owned()
            }
            9 => {
                draft.body = vec![b'A'; 100 * 1024];
                "a 100 KB body of letters".to_owned()
            }
            10 => {
                // Form-encoded bodies (Tencent's legacy signature): break a pair.
                let text = String::from_utf8_lossy(&draft.body).into_owned();
                let mut pairs: Vec<String> = text.split('&').map(str::to_owned).collect();
                let what = self.mutate_pairs(&mut pairs, vocabulary);
                draft.body = pairs.join("&").into_bytes();
                format!("form body: {what}")
            }
            _ => {
                let i = self.rng.below(len + 1);
                let junk = self.junk_string();
                draft.body.splice(i..i, junk.into_bytes());
                format!("inserted a junk string at body byte {i}")
            }
        }
    }

    /// A value of another type or an edge of the same one; raw JSON text where a `Value`
    /// cannot hold it.
    fn nasty_value(&mut self, vocabulary: &Vocabulary) -> (Value, Option<String>, String) {
        let plain = |v: Value, what: &str| (v, None, what.to_owned());
        match self.rng.below(26) {
            0 => plain(Value::Null, "null"),
            1 => plain(Value::Bool(self.rng.one_in(2)), "a boolean"),
            2 => plain(Value::from(0), "0"),
            3 => plain(Value::from(-1), "-1"),
            4 => plain(Value::from(i64::MIN), "i64::MIN"),
            5 => plain(Value::from(u64::MAX), "u64::MAX"),
            6 => plain(Value::from(1.5), "1.5"),
            7 => plain(Value::from(1e308), "1e308"),
            8 => plain(Value::from(9_007_199_254_740_993u64), "2^53+1"),
            9 => plain(Value::String(String::new()), "the empty string"),
            10 => plain(Value::String("A".repeat(100 * 1024)), "a 100 KB string"),
            11 => plain(
                Value::String("\u{0}\u{1}\t\n\r\u{7f}\u{1b}[0m".to_owned()),
                "control characters",
            ),
            12 => plain(
                Value::String("é中文\u{202e}😀\u{feff}\u{fffd}".to_owned()),
                "non-ASCII characters",
            ),
            13 => plain(Value::Array(Vec::new()), "[]"),
            14 => plain(Value::Object(Map::new()), "{}"),
            15 => {
                let inner = self
                    .rng
                    .pick(&vocabulary.values)
                    .cloned()
                    .unwrap_or(Value::Null);
                plain(Value::Array(vec![inner]), "a one-element array")
            }
            16 => {
                let mut v = Value::from(1);
                for _ in 0..60 {
                    v = Value::Object(Map::from_iter([("a".to_owned(), v)]));
                }
                plain(v, "60 nested objects")
            }
            17 => {
                let depth = [200, 5_000][self.rng.below(2)];
                let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
                (
                    Value::String(RAW_MARKER.to_owned()),
                    Some(text),
                    format!("{depth} nested arrays"),
                )
            }
            18 => {
                let texts = [
                    "1e400",
                    "-0",
                    "123456789012345678901234567890",
                    "0.0000000000000000000000000001",
                    "-9223372036854775809",
                    "18446744073709551616",
                    "\"\\ud800\"",
                    "\"\\u0000\"",
                    "1.0",
                    "1E2",
                ];
                let i = self.rng.below(texts.len());
                let text = texts.get(i).copied().unwrap_or("1e400");
                (
                    Value::String(RAW_MARKER.to_owned()),
                    Some(text.to_owned()),
                    format!("raw {text}"),
                )
            }
            19 => {
                let texts = [
                    "123", "-1", "true", "null", "1.5", "0x10", "1e3", "NaN", " 42 ", "+1",
                ];
                let text = self.rng.pick(&texts).copied().unwrap_or("123");
                plain(
                    Value::String(text.to_owned()),
                    &format!("the string {text:?}"),
                )
            }
            20 => plain(
                Value::String(
                    [
                        "====",
                        "%%%",
                        "../../",
                        "a/b",
                        "*",
                        "alias/",
                        "arn:aws:kms:::",
                        " ",
                    ][self.rng.below(8)]
                    .to_owned(),
                ),
                "an almost-meaningful string",
            ),
            21 => {
                let s = self.junk_string();
                plain(Value::String(s), "a junk string")
            }
            22 => {
                // A vocabulary string with one character changed, appended or dropped.
                let mut s = self
                    .rng
                    .pick(&vocabulary.strings)
                    .cloned()
                    .unwrap_or_default();
                self.mutate_text(&mut s);
                plain(Value::String(s), "a near-miss vocabulary string")
            }
            23 => plain(Value::from(i64::from(i32::MAX) + 1), "2^31"),
            24 => {
                let s = self
                    .rng
                    .pick(&vocabulary.strings)
                    .cloned()
                    .unwrap_or_default();
                plain(
                    Value::String(s.repeat(1 + self.rng.below(400))),
                    "a repeated vocabulary string",
                )
            }
            _ => {
                let v = self
                    .rng
                    .pick(&vocabulary.values)
                    .cloned()
                    .unwrap_or(Value::Null);
                plain(v, "a value of another template")
            }
        }
    }

    // ---- headers ------------------------------------------------------------------------

    fn header(&mut self, draft: &mut Draft, vocabulary: &Vocabulary, original: &[u8]) -> String {
        let n = draft.headers.len();
        let i = self.rng.below(n);
        let name = draft
            .headers
            .get(i)
            .map(|(h, _)| h.as_str().to_owned())
            .unwrap_or_default();
        match self.rng.below(9) {
            0 if n > 0 => {
                draft.headers.remove(i);
                format!("dropped header {name}")
            }
            1 if n > 0 => {
                let copy = draft.headers.get(i).cloned();
                if let Some((h, mut v)) = copy {
                    if self.rng.one_in(2) {
                        v = self.header_junk();
                    }
                    draft.headers.push((h, v));
                }
                format!("repeated header {name}")
            }
            2 if n > 0 => {
                let junk = self.header_junk();
                if let Some(h) = draft.headers.get_mut(i) {
                    h.1 = junk;
                }
                format!("junk value for header {name}")
            }
            3..=5 if n > 0 => {
                // Structure-aware: one token of the value (an Authorization component,
                // a scope segment, a content-type parameter) deleted, replaced or doubled.
                let mut text = draft
                    .headers
                    .get(i)
                    .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
                    .unwrap_or_default();
                let what = self.mutate_tokens(&mut text, vocabulary);
                if let Some(h) = draft.headers.get_mut(i) {
                    h.1 = text.into_bytes();
                }
                format!("header {name}: {what}")
            }
            6 => {
                let Some((h, v)) = self.rng.pick(&vocabulary.headers).cloned() else {
                    return "no vocabulary header".to_owned();
                };
                let Ok(h) = http::HeaderName::from_bytes(h.as_bytes()) else {
                    return "an invalid vocabulary header name".to_owned();
                };
                let replace = self.rng.one_in(2);
                if replace {
                    draft.headers.retain(|(n, _)| *n != h);
                }
                let shown = format!("{}: {}", h.as_str(), cut(&v, 40));
                draft.headers.push((h, v.into_bytes()));
                format!("{} header {shown}", if replace { "set" } else { "added" })
            }
            7 => {
                let Some(h) = self.rng.pick(&vocabulary.hash_headers).cloned() else {
                    return "no hash header".to_owned();
                };
                let Ok(h) = http::HeaderName::from_bytes(h.as_bytes()) else {
                    return "an invalid hash header name".to_owned();
                };
                let value = if self.rng.one_in(3) {
                    "UNSIGNED-PAYLOAD".to_owned()
                } else {
                    crate::signing::sha256_hex(original)
                };
                draft.headers.retain(|(n, _)| *n != h);
                let shown = format!("{}: {value}", h.as_str());
                draft.headers.push((h, value.into_bytes()));
                format!("declared {shown} (the template's body)")
            }
            _ => {
                let name = format!("x-fuzz-{}", self.rng.below(1000));
                let value = self.header_junk();
                if let Ok(h) = http::HeaderName::from_bytes(name.as_bytes()) {
                    draft.headers.push((h, value));
                }
                format!("added unknown header {name}")
            }
        }
    }

    /// Bytes a header value may hold (no control characters but tab), obs-text included.
    fn header_junk(&mut self) -> Vec<u8> {
        match self.rng.below(6) {
            0 => Vec::new(),
            1 => vec![b'a'; 8 * 1024],
            2 => "é中文".as_bytes().to_vec(),
            3 => vec![0x80, 0xff, 0xfe, b' ', b'\t', 0xc3],
            _ => {
                let n = 1 + self.rng.below(48);
                (0..n)
                    .map(|_| {
                        let b = u8::try_from(self.rng.below(256)).unwrap_or(b'x');
                        if b < 0x20 && b != b'\t' || b == 0x7f {
                            b'~'
                        } else {
                            b
                        }
                    })
                    .collect()
            }
        }
    }

    fn routing(&mut self, draft: &mut Draft, vocabulary: &Vocabulary) -> String {
        let Some((name, values)) = self.rng.pick(&vocabulary.routing).cloned() else {
            return self.uri(draft, vocabulary);
        };
        let Ok(header) = http::HeaderName::from_bytes(name.as_bytes()) else {
            return "an invalid routing header name".to_owned();
        };
        let mut value = self.rng.pick(&values).cloned().unwrap_or_default();
        if self.rng.one_in(4) {
            self.mutate_text(&mut value);
        }
        draft.headers.retain(|(n, _)| *n != header);
        let shown = format!("{name}: {}", cut(&value, 60));
        draft.headers.push((header, value.into_bytes()));
        format!("routed by {shown}")
    }

    // ---- URIs and methods ---------------------------------------------------------------

    fn uri(&mut self, draft: &mut Draft, vocabulary: &Vocabulary) -> String {
        match self.rng.below(10) {
            0..=4 => {
                let mut segments: Vec<String> = draft.path.split('/').map(str::to_owned).collect();
                let what = self.mutate_segments(&mut segments, vocabulary);
                draft.path = segments.join("/");
                if !draft.path.starts_with('/') {
                    draft.path.insert(0, '/');
                }
                what
            }
            5 => {
                let Some(path) = self.rng.pick(&vocabulary.paths).cloned() else {
                    return "no vocabulary path".to_owned();
                };
                draft.path = path;
                format!("path {}", cut(&draft.path, 80))
            }
            _ => {
                let mut pairs: Vec<String> = draft
                    .query
                    .as_deref()
                    .map(|q| q.split('&').map(str::to_owned).collect())
                    .unwrap_or_default();
                let what = self.mutate_pairs(&mut pairs, vocabulary);
                draft.query = if pairs.is_empty() && self.rng.one_in(2) {
                    None
                } else {
                    Some(pairs.join("&"))
                };
                format!("query: {what}")
            }
        }
    }

    fn mutate_segments(&mut self, segments: &mut Vec<String>, vocabulary: &Vocabulary) -> String {
        let n = segments.len();
        let i = self.rng.below(n);
        match self.rng.below(8) {
            0 if n > 1 => {
                let j = self.rng.below(n);
                segments.swap(i, j);
                format!("swapped path segments {i} and {j}")
            }
            1 => {
                segments.insert(i, String::new());
                "a doubled slash".to_owned()
            }
            2 if n > 1 => {
                segments.remove(i);
                format!("dropped path segment {i}")
            }
            3 => {
                let junk = [
                    "..", ".", "%", "%zz", "%00", "%2F", "%2e%2e", "%C3%28", "é", "a b", "*",
                    "%u0041", ";x=1",
                ];
                let s = self.rng.pick(&junk).copied().unwrap_or("%");
                if let Some(seg) = segments.get_mut(i) {
                    *seg = s.to_owned();
                }
                format!("path segment {i} = {s:?}")
            }
            4 => {
                let huge = "f".repeat(10 * 1024);
                if let Some(seg) = segments.get_mut(i) {
                    *seg = huge;
                }
                format!("path segment {i} = 10 KB")
            }
            5 => {
                let s = self
                    .rng
                    .pick(&vocabulary.strings)
                    .cloned()
                    .unwrap_or_default();
                let shown = cut(&s, 40);
                if let Some(seg) = segments.get_mut(i) {
                    *seg = s;
                }
                format!("path segment {i} = vocabulary {shown:?}")
            }
            6 => {
                segments.push(String::new());
                "a trailing slash".to_owned()
            }
            _ => {
                if let Some(seg) = segments.get_mut(i) {
                    self.mutate_text(seg);
                }
                format!("path segment {i} changed by one character")
            }
        }
    }

    /// `name=value` pairs (a query string or a form body).
    fn mutate_pairs(&mut self, pairs: &mut Vec<String>, vocabulary: &Vocabulary) -> String {
        let n = pairs.len();
        let i = self.rng.below(n);
        match self.rng.below(7) {
            0 if n > 0 => {
                pairs.remove(i);
                format!("dropped pair {i}")
            }
            1 if n > 0 => {
                let copy = pairs.get(i).cloned().unwrap_or_default();
                pairs.push(copy);
                format!("repeated pair {i}")
            }
            2 | 3 if n > 0 => {
                let value = match self.rng.below(4) {
                    0 => self
                        .rng
                        .pick(&vocabulary.strings)
                        .cloned()
                        .unwrap_or_default(),
                    1 => self.junk_string(),
                    2 => "%zz%".to_owned(),
                    _ => String::new(),
                };
                if let Some(pair) = pairs.get_mut(i) {
                    let name = pair.split('=').next().unwrap_or("").to_owned();
                    *pair = format!("{name}={value}");
                }
                format!("pair {i} value changed")
            }
            4 if n > 0 => {
                if let Some(pair) = pairs.get_mut(i) {
                    self.mutate_text(pair);
                }
                format!("pair {i} changed by one character")
            }
            _ => {
                let name = match self.rng.pick(&vocabulary.names) {
                    Some(n) if self.rng.one_in(2) => n.clone(),
                    _ => format!("x{}", self.rng.below(100)),
                };
                let value = self
                    .rng
                    .pick(&vocabulary.strings)
                    .cloned()
                    .unwrap_or_default();
                pairs.push(format!("{name}={value}"));
                format!("added pair {name}")
            }
        }
    }

    fn method(&mut self, draft: &mut Draft) -> String {
        let methods = [
            "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT", "post",
            "FUZZ",
        ];
        let m = self.rng.pick(&methods).copied().unwrap_or("GET");
        draft.method = m.to_owned();
        format!("method {m}")
    }

    // ---- text -----------------------------------------------------------------------------

    fn junk_string(&mut self) -> String {
        let alphabet: Vec<char> = "aZ09-_./:=,;%+ \"'\\{}[]<>&?#@!$*~`|^\u{0}\u{7f}é中😀\u{202e}"
            .chars()
            .collect();
        let n = self.rng.below(24);
        (0..n)
            .map(|_| self.rng.pick(&alphabet).copied().unwrap_or('x'))
            .collect()
    }

    fn junk_bytes(&mut self) -> Vec<u8> {
        let n = 1 + self.rng.below(16);
        (0..n)
            .map(|_| u8::try_from(self.rng.below(256)).unwrap_or(0))
            .collect()
    }

    /// One character changed, dropped, doubled or appended.
    fn mutate_text(&mut self, text: &mut String) {
        let mut chars: Vec<char> = text.chars().collect();
        let i = self.rng.below(chars.len() + 1);
        match self.rng.below(4) {
            0 if i < chars.len() => {
                chars.remove(i);
            }
            1 if i < chars.len() => {
                let c = chars.get(i).copied().unwrap_or('x');
                chars.insert(i, c);
            }
            2 if i < chars.len() => {
                let c = chars.get(i).copied().unwrap_or('x');
                let flipped = if c.is_ascii_lowercase() {
                    c.to_ascii_uppercase()
                } else if c.is_ascii_uppercase() {
                    c.to_ascii_lowercase()
                } else {
                    '~'
                };
                if let Some(slot) = chars.get_mut(i) {
                    *slot = flipped;
                }
            }
            _ => {
                let extra = ['0', 'x', '/', '%', ' ', 'é', '\u{0}'];
                chars.insert(i, self.rng.pick(&extra).copied().unwrap_or('x'));
            }
        }
        *text = chars.into_iter().collect();
    }

    /// Splits on the delimiters of structured header values and changes one token.
    fn mutate_tokens(&mut self, text: &mut String, vocabulary: &Vocabulary) -> String {
        let mut tokens: Vec<String> = Vec::new();
        let mut current = String::new();
        for c in text.chars() {
            if matches!(c, ',' | ' ' | '=' | '/' | ';' | ':') {
                tokens.push(std::mem::take(&mut current));
                tokens.push(c.to_string());
            } else {
                current.push(c);
            }
        }
        tokens.push(current);
        let words: Vec<usize> = (0..tokens.len()).step_by(2).collect();
        let Some(&i) = self.rng.pick(&words) else {
            return "nothing".to_owned();
        };
        let what = match self.rng.below(6) {
            0 => {
                if let Some(t) = tokens.get_mut(i) {
                    t.clear();
                }
                "emptied a token"
            }
            1 => {
                let s = self
                    .rng
                    .pick(&vocabulary.strings)
                    .cloned()
                    .unwrap_or_default();
                if let Some(t) = tokens.get_mut(i) {
                    *t = s;
                }
                "a vocabulary token"
            }
            2 => {
                let copy: String = tokens.iter().skip(i).take(2).cloned().collect();
                tokens.insert(i, copy);
                "a doubled token"
            }
            3 => {
                // Removing a delimiter merges two tokens.
                if i + 1 < tokens.len() {
                    tokens.remove(i + 1);
                }
                "a dropped delimiter"
            }
            4 => {
                let huge = "9".repeat(4096);
                if let Some(t) = tokens.get_mut(i) {
                    *t = huge;
                }
                "a 4 KB token"
            }
            _ => {
                if let Some(t) = tokens.get_mut(i) {
                    self.mutate_text(t);
                }
                "a token changed by one character"
            }
        };
        *text = tokens.concat();
        what.to_owned()
    }
}

/// A step into a JSON value.
#[derive(Clone, Debug)]
enum Step {
    Member(String),
    Index(usize),
}

fn collect_paths(value: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(prefix.clone());
    match value {
        Value::Object(m) => {
            for (k, v) in m {
                prefix.push(Step::Member(k.clone()));
                collect_paths(v, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                prefix.push(Step::Index(i));
                collect_paths(v, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn show_path(path: &[Step]) -> String {
    if path.is_empty() {
        return "the body".to_owned();
    }
    path.iter()
        .map(|s| match s {
            Step::Member(m) => format!(".{m}"),
            Step::Index(i) => format!("[{i}]"),
        })
        .collect()
}

fn get_at_mut<'a>(root: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    let mut at = root;
    for step in path {
        at = match (step, at) {
            (Step::Member(m), Value::Object(map)) => map.get_mut(m)?,
            (Step::Index(i), Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(at)
}

fn set_at(root: &mut Value, path: &[Step], value: Value) {
    if let Some(slot) = get_at_mut(root, path) {
        *slot = value;
    }
}

fn remove_at(root: &mut Value, path: &[Step]) -> bool {
    let Some((last, parent)) = path.split_last() else {
        return false;
    };
    match (get_at_mut(root, parent), last) {
        (Some(Value::Object(m)), Step::Member(k)) => m.remove(k).is_some(),
        (Some(Value::Array(a)), Step::Index(i)) if *i < a.len() => {
            a.remove(*i);
            true
        }
        _ => false,
    }
}

fn rename_case(root: &mut Value, path: &[Step]) {
    let Some((Step::Member(name), parent)) = path.split_last() else {
        return;
    };
    if let Some(Value::Object(m)) = get_at_mut(root, parent)
        && let Some(v) = m.remove(name)
    {
        let renamed = if name.chars().next().is_some_and(char::is_uppercase) {
            name.to_lowercase()
        } else {
            name.to_uppercase()
        };
        m.insert(renamed, v);
    }
}

/// The JSON text of `value`, with `raw` spliced in place of the marker string.
fn serialize(value: &Value, raw: Option<&str>) -> Vec<u8> {
    let text = value.to_string();
    match raw {
        Some(raw) => {
            let marker = Value::String(RAW_MARKER.to_owned()).to_string();
            text.replacen(&marker, raw, 1).into_bytes()
        }
        None => text.into_bytes(),
    }
}

/// Percent-escapes every byte `http::Uri` refuses in a path or query.
fn escape_uri(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&b);
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> http::Request<Vec<u8>> {
        http::Request::post("/v1.0/p/kms/create-key?a=1")
            .header(
                "authorization",
                "SCHEME Access=a, SignedHeaders=host, Signature=00",
            )
            .header("content-type", "application/json")
            .body(br#"{"key_alias":"a","tags":[{"key":"k","value":"v"}],"n":1}"#.to_vec())
            .unwrap_or_default()
    }

    fn vocabulary() -> Vocabulary {
        let mut v = Vocabulary {
            routing: vec![("x-route".into(), vec!["A".into(), "B".into()])],
            paths: vec!["/v1.0/p/kms/describe-key".into()],
            strings: vec!["key-id".into(), "alias/x".into()],
            headers: vec![("x-auth-token".into(), "t".into())],
            hash_headers: vec!["x-content-sha256".into()],
            ..Vocabulary::default()
        };
        v.harvest(&[Template {
            label: "t".into(),
            lane: 0,
            request: template(),
            strict: false,
            binds_body: false,
        }]);
        v
    }

    #[test]
    fn the_generator_is_reproducible_and_spread() {
        let a: Vec<u64> = (0..4).map(|_| Rng::for_case(7, 3).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            Rng::for_case(7, 3).next_u64(),
            Rng::for_case(7, 4).next_u64()
        );
        assert_ne!(
            Rng::for_case(7, 3).next_u64(),
            Rng::for_case(8, 3).next_u64()
        );
        let mut rng = Rng::new(1);
        let mut seen = [0u32; 10];
        for _ in 0..10_000 {
            seen[rng.below(10)] += 1;
        }
        assert!(seen.iter().all(|&n| (800..1200).contains(&n)), "{seen:?}");
    }

    #[test]
    fn mutations_are_reproducible_from_the_seed_and_change_the_request() {
        let vocabulary = vocabulary();
        let t = template();
        let mut changed = 0;
        for case in 0..2_000 {
            let (a, what_a) = Mutator::new(Rng::for_case(1, case)).mutate(&t, &vocabulary);
            let (b, what_b) = Mutator::new(Rng::for_case(1, case)).mutate(&t, &vocabulary);
            assert_eq!(what_a, what_b);
            assert!((1..=3).contains(&what_a.len()));
            assert_eq!(show_request(&a), show_request(&b));
            if show_request(&a) != show_request(&t) {
                changed += 1;
            }
        }
        // Some mutations can be no-ops (a header set to the value it had), but few.
        assert!(changed > 1_900, "{changed}");
    }

    /// A stand-in dialect that misbehaves in one chosen way, to show each oracle fires.
    struct Faulty {
        fault: &'static str,
        /// The "store": a counter the faults may bump.
        state: std::cell::Cell<u32>,
        rebuilds: u64,
    }

    impl Target for Faulty {
        type Snapshot = u32;

        fn name(&self) -> &str {
            "faulty"
        }

        fn rebuild(&mut self, _block: u64) -> Result<(Vec<Template>, Vocabulary), String> {
            self.rebuilds += 1;
            let strict = self.fault == "unbound";
            Ok((
                vec![Template {
                    label: "t".into(),
                    lane: 0,
                    request: template(),
                    strict,
                    binds_body: strict,
                }],
                vocabulary(),
            ))
        }

        fn handle(&self, _lane: usize, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
            let status = match self.fault {
                // Unwinding without the panic hook keeps the test output quiet.
                "panic" => std::panic::resume_unwind(Box::new("boom")),
                "500" => 500,
                "leak" => {
                    self.state.set(self.state.get() + 1);
                    400
                }
                "unbound" => 200,
                _ if request.body().is_empty() => 400,
                _ => 200,
            };
            let mut response = http::Response::new(Vec::new());
            *response.status_mut() = http::StatusCode::from_u16(status).unwrap_or_default();
            response
        }

        fn snapshot(&self) -> u32 {
            self.state.get()
        }

        fn difference(&self, before: &u32, after: &u32) -> Option<String> {
            (before != after).then(|| format!("{before} -> {after}"))
        }

        fn verdict(&self, response: &http::Response<Vec<u8>>) -> Verdict {
            match response.status().as_u16() {
                200 => Verdict::Success,
                500 => Verdict::ServerError("500".into()),
                _ => Verdict::Refused,
            }
        }

        fn known_finding(&self, finding: &Finding) -> Option<&'static str> {
            (self.fault == "500" && finding.case.is_multiple_of(2))
                .then_some("even cases are known")
        }
    }

    fn run_faulty(fault: &'static str) -> (Report, u64) {
        let mut target = Faulty {
            fault,
            state: std::cell::Cell::new(0),
            rebuilds: 0,
        };
        let config = Config {
            seed: 3,
            first: 0,
            cases: 200,
            rebuild_every: 50,
            max_findings: 5,
            verbose: false,
        };
        let report = run(&mut target, &config).unwrap_or_default();
        (report, target.rebuilds)
    }

    #[test]
    fn every_oracle_fires() {
        let (healthy, rebuilds) = run_faulty("none");
        assert!(healthy.findings.is_empty(), "{healthy}");
        assert_eq!((healthy.cases, rebuilds), (200, 4));
        assert!(healthy.answered > 0 && healthy.refused > 0, "{healthy}");

        let (panics, rebuilds) = run_faulty("panic");
        assert_eq!(panics.findings.len(), 5, "stops at max_findings");
        assert!(matches!(&panics.findings[0].kind, FindingKind::Panic(m) if m == "boom"));
        assert_eq!(rebuilds, 5, "a panic rebuilds the fixture");

        let (errors, _) = run_faulty("500");
        assert!(matches!(
            errors.findings[0].kind,
            FindingKind::ServerError(_)
        ));
        assert!(errors.findings.iter().all(|f| !f.case.is_multiple_of(2)));
        assert!(!errors.known.is_empty());

        let (leaks, _) = run_faulty("leak");
        assert_eq!(
            leaks.findings[0].kind,
            FindingKind::RefusedButChanged("0 -> 1".into())
        );
        let shown = leaks.findings[0].to_string();
        assert!(shown.contains("KMSGATE_FUZZ_FIRST=0"), "{shown}");

        let (unbound, _) = run_faulty("unbound");
        assert!(!unbound.findings.is_empty());
        assert!(
            unbound
                .findings
                .iter()
                .all(|f| f.kind == FindingKind::SignatureDidNotBind && f.body_changed)
        );
    }

    #[test]
    fn raw_json_is_spliced_where_a_value_cannot_hold_it() {
        let value = serde_json::json!({ "a": RAW_MARKER, "b": 1 });
        let text = serialize(&value, Some("1e400"));
        assert_eq!(text, br#"{"a":1e400,"b":1}"#);
    }

    #[test]
    fn uris_http_refuses_are_escaped() {
        assert_eq!(escape_uri("/a b/é"), "/a%20b/%C3%A9");
        assert!(http::Uri::try_from(escape_uri("/a b/é?x=\"y\"")).is_ok());
    }
}
