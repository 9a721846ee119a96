//! The benchmark's floor: an actix-web server, built like kmsgate's listeners (same actix,
//! same worker count), that reads each request's body and answers it with a fixed JSON body
//! of an Encrypt answer's size, doing nothing else. `bench/run.sh` measures it beside kmsgate
//! at c1 and c16, so that figures from different machines and days can be read against what
//! the framework and the kernel alone allow on the machine they came from. It does not busy
//! poll after its answers (kmsgate does: `server/src/busy_poll.rs`), so at c1 it shows what
//! actix-web alone allows, and kmsgate answers faster than it.
//!
//!     cargo build --release -p kmsgate-server --examples
//!     target/release/examples/baseline 127.0.0.1:0

use actix_web::{App, HttpResponse, HttpServer, web};

/// An Encrypt answer's shape and size (the ARN, a 120-byte blob in base64, the algorithm).
const ANSWER: &str = concat!(
    r#"{"CiphertextBlob":""#,
    "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/",
    "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl9gYWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4",
    r#"","EncryptionAlgorithm":"SYMMETRIC_DEFAULT","#,
    r#""KeyId":"arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000000"}"#
);

async fn answer(body: web::Bytes) -> HttpResponse {
    // The body is read (as kmsgate reads it) and otherwise ignored.
    let _read = body.len();
    HttpResponse::Ok()
        .content_type("application/x-amz-json-1.1")
        .body(ANSWER)
}

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_owned());
    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(|| App::new().default_service(web::to(answer)))
            .disable_signals()
            .bind(&addr)?;
        for bound in server.addrs() {
            println!("baseline listening on http://{bound}");
        }
        server.run().await
    })
}
