//! The seam between the server and a cloud's wire protocol.

use std::fmt;

/// One cloud's API. The server owns sockets, limits, time control and health; a dialect only
/// turns a complete request into a complete response. `http` types keep dialect crates free
/// of actix (only the server depends on it).
pub trait Dialect: Send + Sync + fmt::Debug + 'static {
    /// Answers one request. May block (RSA and SM2 work), so the server calls it off its
    /// async workers.
    fn handle(&self, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>>;

    /// The answer when a request body is over `limit` bytes; the body was not (fully) read.
    fn body_too_large(&self, limit: usize) -> http::Response<Vec<u8>>;

    /// The answer when a request could not start within the server's time limit (its body
    /// arrived too slowly, or it waited too long for a worker). The request was not handled:
    /// nothing changed, so a client may safely retry. A request whose handling has started is
    /// always finished and answered by [`Dialect::handle`], however long it takes.
    fn timed_out(&self) -> http::Response<Vec<u8>>;

    /// The answer when the server could not make a request out of what the client sent (a
    /// body that broke off, a request `http` cannot represent). `reason` is a short
    /// description for the client.
    fn bad_request(&self, reason: &str) -> http::Response<Vec<u8>>;

    /// The answer when the server itself failed around a request (the handler panicked, the
    /// worker pool is gone, the dialect's answer could not be sent as it was).
    fn internal_error(&self) -> http::Response<Vec<u8>>;
}

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

    /// Loopback only by default: an emulator holding test keys has no business on a LAN.
    pub fn default_listen(self) -> &'static str {
        match self {
            DialectKind::Aws => "127.0.0.1:8411",
            DialectKind::Tencent => "127.0.0.1:8412",
            DialectKind::Huawei => "127.0.0.1:8413",
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
