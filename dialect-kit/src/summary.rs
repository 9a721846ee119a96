//! What a dialect tells the server about each request it answered, for the request log and
//! the metrics, carried in the response's extensions so the `Dialect` seam stays
//! request-in, response-out.

/// The facts of one handled request. Only names and ids: never secrets, signatures, tokens,
/// plaintext, key material or ciphertext, so all of it may be logged. Operation names and
/// codes are `'static`: they come from the dialects' own tables, which also keeps metric
/// labels bounded, and costs no allocation per request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// The cloud's own name for the operation (an AWS target's operation, a Tencent action,
    /// a Huawei route name); `None` when the request never got that far.
    pub operation: Option<&'static str>,
    /// The tenant the request acted for, once authenticated.
    pub tenant: Option<String>,
    /// The key the request named or created, once known.
    pub key_id: Option<String>,
    /// The wire error code of a failed request.
    pub error_code: Option<&'static str>,
    /// The request id the client was given.
    pub request_id: Option<String>,
}

impl Summary {
    /// Puts the summary on `response`, where [`Summary::of`] finds it.
    pub fn attach<B>(self, response: &mut http::Response<B>) {
        response.extensions_mut().insert(self);
    }

    /// Attaches the summary to `response`, completed with the request id the client was
    /// given in the response's `request_id_header` (each cloud names it its own way).
    pub fn finish<B>(
        mut self,
        mut response: http::Response<B>,
        request_id_header: &str,
    ) -> http::Response<B> {
        self.request_id = response
            .headers()
            .get(request_id_header)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        self.attach(&mut response);
        response
    }

    /// The summary a dialect attached, if any.
    pub fn of<B>(response: &http::Response<B>) -> Option<&Summary> {
        response.extensions().get::<Summary>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn travels_with_the_response() {
        let mut response = http::Response::new(Vec::<u8>::new());
        assert_eq!(Summary::of(&response), None);
        let summary = Summary {
            operation: Some("Encrypt"),
            error_code: Some("NotFoundException"),
            ..Summary::default()
        };
        summary.clone().attach(&mut response);
        assert_eq!(Summary::of(&response), Some(&summary));
        let mut answer = http::Response::new(Vec::<u8>::new());
        answer
            .headers_mut()
            .insert("x-request-id", http::HeaderValue::from_static("r-1"));
        let answer = Summary::default().finish(answer, "x-request-id");
        assert_eq!(
            Summary::of(&answer).and_then(|s| s.request_id.as_deref()),
            Some("r-1")
        );
    }
}
