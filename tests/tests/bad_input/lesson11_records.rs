//! Bad input, lesson 11, the record layer: peers that break TLS 1.3's
//! records against `11-tls13-server`: cut, silent, oversized and empty
//! records, record and hello versions the RFC says to ignore, the wrong
//! content in the clear before the handshake, and non-TLS bytes.
//!
//! Every case ends with the server's one line about the peer and a good
//! `11-tls13-client` (given the server's CA) served afterwards. The shared
//! pieces are in `tests/src/bad_peer.rs` and `tests/src/bad_peer11.rs`.

use std::io::Read;

use e2e::bad_peer::*;
use e2e::bad_peer11::*;
use tls::lesson11_real_tls13::record::ContentType;
use tls::lesson11_real_tls13::server_messages::encode_finished;
use tls::lesson11_real_tls13::{AlertDescription, LEGACY_VERSION};

// ------------------------------------------------------- connection level

#[test]
fn l11_connect_and_close() {
    let (mut server, ca) = start("close", &[]);
    let (stream, me) = connect(&server);
    drop(stream);
    assert_dropped_with(
        &server,
        me,
        "handshake failed: peer closed the connection during the handshake",
    );
    still_serving(&mut server, &ca);
}

#[test]
fn l11_connect_and_say_nothing() {
    let (mut server, ca) = start("silence", &["--handshake-timeout", "1"]);
    let (mut stream, me) = connect(&server);
    assert_dropped_with(&server, me, HANDSHAKE_TIMEOUT);
    assert_closed_by_server(&mut stream);
    still_serving(&mut server, &ca);
}

#[test]
fn l11_client_hello_record_cut_short() {
    let (mut server, ca) = start("cut-hello", &[]);
    let record = Hello::good().record();
    let (stream, me) = send_first(&server, &record[..record.len() / 2]);
    drop(stream);
    assert_dropped_with(
        &server,
        me,
        &format!("handshake failed: {CLOSED_MID_MESSAGE}"),
    );
    still_serving(&mut server, &ca);
}

/// Only the header is sent: the answer comes at once, so the server did not
/// wait for (or allocate) the 16 KiB + 1 it announced.
#[test]
fn l11_record_over_2_14_is_refused_at_its_header() {
    refused_first_flight(
        "overflow",
        &[22, 3, 1, 0x40, 0x01],
        AlertDescription::RECORD_OVERFLOW,
        "record of 16385 bytes is over the TLS limit (record_overflow)",
    );
}

#[test]
fn l11_handshake_message_over_our_limit_is_refused_at_its_header() {
    // A record of 4 bytes: a ClientHello header announcing 16 MiB - 1.
    let flight = plaintext(
        ContentType::Handshake,
        LEGACY_VERSION,
        &[1, 0xff, 0xff, 0xff],
    );
    refused_first_flight(
        "huge-message",
        &flight,
        AlertDescription::DECODE_ERROR,
        "handshake message of 16777215 bytes is over our limit",
    );
}

#[test]
fn l11_handshake_message_longer_than_its_record_then_close() {
    let (mut server, ca) = start("long-message", &[]);
    let message = Hello::good().message();
    // The record carries only the first 40 bytes of the message.
    let flight = plaintext(ContentType::Handshake, LEGACY_VERSION, &message[..40]);
    let (stream, me) = send_first(&server, &flight);
    drop(stream);
    assert_dropped_with(
        &server,
        me,
        &format!("handshake failed: {CLOSED_MID_MESSAGE}"),
    );
    still_serving(&mut server, &ca);
}

#[test]
fn l11_empty_handshake_record() {
    refused_first_flight(
        "empty",
        &plaintext(ContentType::Handshake, LEGACY_VERSION, &[]),
        AlertDescription::DECODE_ERROR,
        "malformed empty handshake record",
    );
}

/// RFC 8446 5.1: legacy_record_version "MUST be ignored". So the server
/// answers; this case checks that it does, and that nothing else breaks.
#[test]
fn l11_odd_record_version_is_ignored_as_the_rfc_says() {
    let (mut server, ca) = start("record-version", &[]);
    let mut flight = Hello::good().record();
    flight[1..3].copy_from_slice(&[0x7f, 0x7f]);
    let (mut stream, me) = send_first(&server, &flight);
    assert_whole_flight(&mut stream);
    drop(stream);
    assert_dropped_with(
        &server,
        me,
        "handshake failed: peer closed the connection during the handshake",
    );
    still_serving(&mut server, &ca);
}

/// RFC 8446 4.2.1: with supported_versions present, the server "MUST NOT
/// use the ClientHello.legacy_version value for version negotiation".
#[test]
fn l11_odd_legacy_version_in_the_hello_is_ignored_as_the_rfc_says() {
    let (mut server, ca) = start("hello-version", &[]);
    let mut hello = Hello::good();
    hello.legacy_version = 0x0301;
    let (mut stream, me) = send_first(&server, &hello.record());
    assert_whole_flight(&mut stream);
    drop(stream);
    assert_dropped_with(
        &server,
        me,
        "handshake failed: peer closed the connection during the handshake",
    );
    still_serving(&mut server, &ca);
}

// ------------------------------------------- the wrong thing in the clear

#[test]
fn l11_unknown_content_type() {
    refused_first_flight(
        "content-type",
        &[0x63, 3, 3, 0, 1, 0],
        AlertDescription::UNEXPECTED_MESSAGE,
        "not a TLS record (first byte 0x63)",
    );
}

#[test]
fn l11_application_data_before_the_handshake() {
    refused_first_flight(
        "early-app-data",
        &plaintext(ContentType::ApplicationData, LEGACY_VERSION, &[0; 32]),
        AlertDescription::UNEXPECTED_MESSAGE,
        "unexpected message: application_data here",
    );
}

#[test]
fn l11_a_finished_where_the_client_hello_belongs() {
    refused_first_flight(
        "out-of-order",
        &plaintext(
            ContentType::Handshake,
            LEGACY_VERSION,
            &encode_finished(&[0; 32]),
        ),
        AlertDescription::UNEXPECTED_MESSAGE,
        "unexpected message: Finished where ClientHello belongs",
    );
}

#[test]
fn l11_http_request_instead_of_a_client_hello() {
    refused_first_flight(
        "http",
        b"GET / HTTP/1.1\r\nHost: localhost:7878\r\n\r\n",
        AlertDescription::UNEXPECTED_MESSAGE,
        "not a TLS record (first byte 0x47)",
    );
}

#[test]
fn l11_random_bytes() {
    let garbage = noise(300, 11);
    assert!(!(20..=23).contains(&garbage[0]), "pick another seed");
    refused_first_flight(
        "noise",
        &garbage,
        AlertDescription::UNEXPECTED_MESSAGE,
        &format!("not a TLS record (first byte 0x{:02x})", garbage[0]),
    );
}

/// An alert is how a peer gives up; the server answers nothing and drops it.
#[test]
fn l11_alert_instead_of_a_client_hello() {
    let (mut server, ca) = start("alert", &[]);
    let flight = plaintext(ContentType::Alert, LEGACY_VERSION, &[2, 40]);
    let (mut stream, me) = send_first(&server, &flight);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(
        answer.is_empty(),
        "the server answered an alert: {answer:?}"
    );
    assert_dropped_with(
        &server,
        me,
        "handshake failed: peer sent alert handshake_failure",
    );
    still_serving(&mut server, &ca);
}
