fn main() -> std::process::ExitCode {
    musubi::cli::main()
}
