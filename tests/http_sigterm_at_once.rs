//! A SIGTERM sent the moment `serve` says it listens stops it cleanly: the
//! signal handlers are installed before the `listening on` line (a test
//! fixture that starts and stops a server at once must see exit 0, never
//! death by signal).

mod common;

use common::http::Server;

#[test]
fn sigterm_right_after_the_listening_line_exits_zero() {
    for _ in 0..20 {
        let server = Server::start(&["--clock", "manual"]);
        let (code, _dir) = server.stop();
        assert_eq!(code, 0, "killed by the signal instead of stopping");
    }
}
