//! The livechannel server; see `livechannel_examples::server_cli`.

fn main() -> std::process::ExitCode {
    livechannel_examples::server_cli::main()
}

// mimalloc, not glibc's malloc: the server allocates and frees small
// pieces at every message and segment (frames' gather lists, chunk and
// store calls' state, playlist text) from one thread, where glibc's
// `_int_malloc`, consolidation and arena locking cost a few per cent of
// the CPU. With both at once on one core, 800 streams each, the server
// with mimalloc took 5-10 % less CPU in four pairs (docs/architecture.md,
// "What a file-store write costs at scale"). Only this binary: the
// library crates leave the allocator to whoever embeds them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

