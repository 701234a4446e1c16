//! The livechannel server; see `livechannel_examples::server_cli`.

fn main() -> std::process::ExitCode {
    livechannel_examples::server_cli::main()
}

// mimalloc, not glibc's malloc: glibc's malloc and free were 3-4 % of the
// server's profile at 1,700 streams, and with mimalloc the server took
// 4.6 and 8.1 % less CPU in two runs (both versions at once on one core,
// 800 streams each, rounds 0.919-0.954) for 12 and 25 % more RSS; the
// heap it asks for is the same
// (docs/architecture.md, "Small jobs inline, and the allocator"). Only
// this binary: the library crates leave the allocator to whoever embeds them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
