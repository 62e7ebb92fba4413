//! `linkwork`: run `linkwork --help`.

fn main() -> std::process::ExitCode {
    linkwork::cli::main()
}
