//! The seam between a server and a cloud's wire protocol.

use std::fmt;

/// One cloud's API. The server owns sockets, limits, time control and health; a dialect only
/// turns a complete request into a complete response. `http` types keep dialect crates free
/// of any HTTP server framework.
pub trait Dialect: Send + Sync + fmt::Debug + 'static {
    /// Answers one request. May block (RSA and SM2 work), so a server calls it off its async
    /// workers.
    fn handle(&self, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>>;

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
}
