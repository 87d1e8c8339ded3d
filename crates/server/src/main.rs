//! `vodokanal`: the subscriber cabinet server and the operator's commands. Everything is in
//! the `vodokanal_server` library; this file only calls it.

fn main() -> std::process::ExitCode {
    vodokanal_server::main()
}
