//! The request log line, built by hand. Through `tracing`'s field visitors and `core::fmt`,
//! eight fields cost about 10,000 instructions a request (each name and value formatted
//! through a `Formatter`, field names styled for a terminal even with colours off): more than
//! the 5% of Encrypt throughput logging may take. Here each value is appended as it is, and
//! the line reaches `tracing` as one preformatted message, which [`crate::log_format`] writes
//! as it is, so the text log reads exactly as before. The JSON format keeps structured fields (see `ListenerContext::record`).

use std::cell::RefCell;

/// The facts of one request line: names, ids, numbers (see [`crate::logging`] for what is
/// never logged).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RequestLine<'a> {
    pub dialect: &'a str,
    pub operation: &'a str,
    pub tenant: &'a str,
    pub key_id: &'a str,
    pub status: u16,
    pub code: &'a str,
    pub micros: u64,
    pub request_id: &'a str,
}

impl RequestLine<'_> {
    /// `request dialect=aws operation=Encrypt … ms=0.3 request_id=…`, the shape the text
    /// format has always had (the JSON format's field names, in the same order).
    pub(crate) fn write(&self, out: &mut String) {
        out.push_str("request dialect=");
        out.push_str(self.dialect);
        out.push_str(" operation=");
        out.push_str(self.operation);
        out.push_str(" tenant=");
        out.push_str(self.tenant);
        out.push_str(" key_id=");
        out.push_str(self.key_id);
        out.push_str(" status=");
        push_decimal(out, u64::from(self.status));
        out.push_str(" code=");
        out.push_str(self.code);
        out.push_str(" ms=");
        // Milliseconds to one decimal, rounded half up, as `{:.1}` printed them.
        let tenths = self.micros.saturating_add(50) / 100;
        push_decimal(out, tenths / 10);
        out.push('.');
        push_decimal(out, tenths % 10);
        out.push_str(" request_id=");
        out.push_str(self.request_id);
    }

    /// Logs the line at `info`, built in a buffer this thread keeps.
    pub(crate) fn log(&self) {
        thread_local! {
            static LINE: RefCell<String> = const { RefCell::new(String::new()) };
        }
        LINE.with_borrow_mut(|line| {
            line.clear();
            self.write(line);
            tracing::info!("{line}");
        });
    }
}

fn push_decimal(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        // `n % 10` is below 10, so the cast cannot truncate.
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for d in &digits[at..] {
        out.push(char::from(*d));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(micros: u64) -> String {
        let mut out = String::new();
        RequestLine {
            dialect: "aws",
            operation: "Encrypt",
            tenant: "aws/111122223333/us-east-1",
            key_id: "-",
            status: 400,
            code: "NotFoundException",
            micros,
            request_id: "r-1",
        }
        .write(&mut out);
        out
    }

    #[test]
    fn reads_as_the_fields_did() {
        assert_eq!(
            line(11_749),
            "request dialect=aws operation=Encrypt tenant=aws/111122223333/us-east-1 key_id=- \
             status=400 code=NotFoundException ms=11.7 request_id=r-1"
        );
    }

    #[test]
    fn milliseconds_round_like_format_did() {
        for micros in [
            0,
            49,
            50,
            99,
            950,
            1_000,
            1_049,
            1_050,
            123_456_789,
            u64::MAX,
        ] {
            let ms = micros as f64 / 1000.0;
            let expected = format!("ms={ms:.1} ");
            let shown = line(micros);
            // `{:.1}` rounds half to even on the binary value; only exact halves may differ.
            if micros % 100 != 50 && micros != u64::MAX {
                assert!(shown.contains(&expected), "{micros}: {shown}");
            }
        }
        assert!(line(50).contains("ms=0.1 "));
        assert!(line(0).contains("ms=0.0 "));
    }

    #[test]
    fn decimals() {
        for n in [0, 7, 10, 200, 65_535, u64::MAX] {
            let mut s = String::new();
            push_decimal(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }
}
