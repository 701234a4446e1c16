//! The livechannel server; see `livechannel_examples::server_cli`.

fn main() -> std::process::ExitCode {
    livechannel_examples::server_cli::main()
}
