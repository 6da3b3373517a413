fn main() -> std::process::ExitCode {
    papyrus::cli::main()
}
