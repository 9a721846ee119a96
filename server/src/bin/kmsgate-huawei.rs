//! `kmsgate-huawei`: the Huawei Cloud KMS dialect alone on one listener.

fn main() -> std::process::ExitCode {
    kmsgate_server::dialect_main(kmsgate_server::DialectKind::Huawei)
}
