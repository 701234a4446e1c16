//! The livechannel server as a binary target too, so that integration
//! tests get it built and located (`CARGO_BIN_EXE_livechannel-server`).

fn main() -> std::process::ExitCode {
    livechannel_examples::server_cli::main()
}
