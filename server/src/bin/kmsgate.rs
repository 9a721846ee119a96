//! `kmsgate serve`: every dialect, each on its own port, over one store, engine and clock.

fn main() -> std::process::ExitCode {
    kmsgate_server::kmsgate_main()
}
