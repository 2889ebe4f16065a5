//! The `wxface` command.

fn main() -> std::process::ExitCode {
    wxface_cli::main()
}
