fn main() {
    std::process::exit(stagesim::cli::main_with_args(std::env::args_os()));
}
