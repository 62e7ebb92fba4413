//! `linkwork`: run `linkwork --help`.

/// mimalloc instead of the system allocator: at ICB scale under 50 users glibc's per-thread
/// arenas held 300–350 MiB where mimalloc holds about 110 MiB, at the same throughput
/// (`docs/performance.md`, ADR 37).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    linkwork::cli::main()
}
