use e2e::*;

#[test]
fn lesson9_echo_round_trip() {
    let server = Server::start("9-echo-server", &[]);
    let out = run_client(
        "9-echo-client",
        &["--addr", &server.addr],
        b"hello secret world\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "hello secret world\n");
}
