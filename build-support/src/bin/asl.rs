fn main() {
    eprintln!("asl: not built yet");
    std::process::exit(2);
}
