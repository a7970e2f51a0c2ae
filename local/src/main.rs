//! The `picpass` command: see the library's [`picpass::run_cli`].

fn main() -> std::process::ExitCode {
    picpass::run_cli()
}
