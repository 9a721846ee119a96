//! The seam between a server and a cloud's wire protocol.

use std::collections::BTreeMap;
use std::fmt;

/// One cloud's API. The server owns sockets, limits, time control and health; a dialect only
/// turns a complete request into a complete response. `http` types keep dialect crates free
/// of any HTTP server framework.
pub trait Dialect: Send + Sync + fmt::Debug + 'static {
    /// Answers one request. May block (RSA and SM2 work), so a server calls it off its async
    /// workers. The response carries a [`crate::Summary`] of what was done, for the server's
    /// log and metrics.
    fn handle(&self, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>>;

    /// Whether `request` is shaped for this cloud (its routing headers, its signature scheme,
    /// its paths), whatever else is wrong with it. A server asks every dialect it knows, so a
    /// request sent to the wrong listener is refused loudly instead of being answered in a
    /// shape its client misreads. Cheap: headers and path only, no body parsing beyond a
    /// glance.
    fn recognizes(&self, request: &http::Request<Vec<u8>>) -> bool;

    /// Whether answering `request` takes only microseconds and never waits for anything: a
    /// read or a symmetric cryptographic operation, which reads the store without writing
    /// (except the rare write of what time did to a key). A server answers such requests on
    /// its async workers, where the hop to a blocking thread would cost more than the work.
    /// Cheap (headers and path only) and conservative: `false` whenever unsure; RSA and SM2
    /// work, key generation and writes are never quick.
    fn is_quick(&self, request: &http::Request<Vec<u8>>) -> bool;

    /// The engine's tenant id for a tenant an operator names in this cloud's own terms (AWS:
    /// `account` and `region`; Tencent: `uin` and `region`; Huawei: `project_id`), for the
    /// server's state controls; the error says which terms are wanted.
    fn tenant(&self, terms: &BTreeMap<String, String>) -> Result<String, String>;

    /// Where a seed-file entry's key lives (tenant, aliases, key spec), from the terms this
    /// cloud spells its own way; the error names what is wrong or missing, for the operator.
    fn seed_placement(&self, terms: &crate::SeedTerms<'_>) -> Result<crate::SeedPlacement, String>;

    /// The answer, in the cloud's own shape, to a request the server stopped at its edge
    /// before [`Dialect::handle`] saw it. Each dialect answers every [`Edge`] in one
    /// exhaustive `match`, so a new edge case cannot go unanswered.
    fn edge(&self, edge: Edge<'_>) -> http::Response<Vec<u8>>;
}

/// Why the server answered a request itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge<'a> {
    /// The body is over `limit` bytes; it was not (fully) read.
    BodyTooLarge { limit: usize },
    /// The request could not start within the server's time limit (its body arrived too
    /// slowly, or it waited too long for a worker). Nothing changed, so a client may safely
    /// retry. A request whose handling has started is always finished and answered by
    /// [`Dialect::handle`], however long it takes.
    TimedOut,
    /// The server could not make a request out of what the client sent (a body that broke
    /// off, a request `http` cannot represent); `reason` is a short description for the
    /// client.
    BadRequest { reason: &'a str },
    /// The server itself failed around a request (the handler panicked, the worker pool is
    /// gone, the dialect's answer could not be sent as it was).
    InternalError,
    /// The request is shaped for this dialect but reached another cloud's listener; `message`
    /// says which listener it reached and where this cloud is served. The answer must not be
    /// a success (2xx) if the cloud's errors can be told apart from successes at all; a
    /// dialect whose every answer is a 200 answers as it must, and a server then refuses the
    /// request in the listener's own shape instead.
    Misdirected { message: &'a str },
}
