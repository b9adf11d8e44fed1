#!/usr/bin/env python3
"""An independent lesson 5 peer: encrypt-then-MAC in lesson 2 records,
written from the wire format in SPEC.md (the source series' part 2).

    record   = length (u32 big-endian) || payload
    payload  = seq (u64 big-endian) || nonce (16 random bytes)
               || AES-256-CTR(enc_key, nonce, plaintext)
               || HMAC-SHA256(mac_key, seq || nonce || ciphertext)
    enc_key  = b"0123456789ABCDEF0123456789ABCDEF"
    mac_key  = b"HMAC_KEY_FOR_PART2_DEMO_1234567"   (31 bytes)

Each direction numbers its records from 0. A receiver checks the tag
first (hmac.compare_digest, constant time), then wants exactly the next
sequence number, and only then decrypts. AES comes from the `cryptography`
package, HMAC from Python's standard library: none of it is ours, so
agreeing with the Rust programs checks the format, not just itself.

    lesson5_peer.py client HOST:PORT
        sends each stdin line, prints each echo on stdout
    lesson5_peer.py server
        listens on 127.0.0.1:0 (prints "listening on ADDR" on stderr),
        serves one client: prints each message on stdout, echoes it back
    lesson5_peer.py kat
        prints the known-answer payloads that
        crates/tls/tests/lesson05_transcript.rs expects
"""

import hashlib
import hmac
import os
import socket
import struct
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

ENC_KEY = b"0123456789ABCDEF0123456789ABCDEF"
MAC_KEY = b"HMAC_KEY_FOR_PART2_DEMO_1234567"
SEQ_LEN = 8
NONCE_LEN = 16
TAG_LEN = 32
MAX_RECORD = 16 * 1024 * 1024
MAX_PLAINTEXT = MAX_RECORD - SEQ_LEN - NONCE_LEN - TAG_LEN


class Refused(Exception):
    """A record this peer will not accept."""


def ctr(nonce, data):
    """AES-256-CTR, the whole nonce as the first counter block."""
    worker = Cipher(algorithms.AES(ENC_KEY), modes.CTR(nonce)).encryptor()
    return worker.update(data) + worker.finalize()


def tag_of(covered):
    return hmac.new(MAC_KEY, covered, hashlib.sha256).digest()


def seal(seq, nonce, plaintext):
    covered = struct.pack("!Q", seq) + nonce + ctr(nonce, plaintext)
    return covered + tag_of(covered)


def unseal(expected_seq, payload):
    """The plaintext of `payload`, after the tag and then the seq check."""
    if len(payload) < SEQ_LEN + NONCE_LEN + TAG_LEN:
        raise Refused(f"payload of {len(payload)} bytes is too short")
    covered, tag = payload[:-TAG_LEN], payload[-TAG_LEN:]
    # The tag first: nothing else is done with bytes that may be forged.
    if not hmac.compare_digest(tag, tag_of(covered)):
        raise Refused("bad mac")
    (seq,) = struct.unpack("!Q", covered[:SEQ_LEN])
    if seq != expected_seq:
        raise Refused(f"wrong sequence number {seq} (expected {expected_seq})")
    nonce = covered[SEQ_LEN : SEQ_LEN + NONCE_LEN]
    return ctr(nonce, covered[SEQ_LEN + NONCE_LEN :])


def read_exactly(sock, count):
    """`count` bytes, or None if the peer closed before the first one."""
    got = bytearray()
    while len(got) < count:
        piece = sock.recv(count - len(got))
        if not piece:
            if not got:
                return None
            sys.exit("peer closed the connection mid-record")
        got += piece
    return bytes(got)


def read_record(sock):
    header = read_exactly(sock, 4)
    if header is None:
        return None
    (length,) = struct.unpack("!I", header)
    if length > MAX_RECORD:
        sys.exit(f"record length {length} is over 16 MiB")
    payload = read_exactly(sock, length) if length else b""
    if payload is None:
        sys.exit("peer closed the connection mid-record")
    return payload


class Channel:
    """One connection: a sequence number for each direction."""

    def __init__(self, sock):
        self.sock = sock
        self.send_seq = 0
        self.recv_seq = 0

    def send_record(self, plaintext):
        payload = seal(self.send_seq, os.urandom(NONCE_LEN), plaintext)
        self.send_seq += 1
        # Header and payload in one call, as the Rust side does.
        self.sock.sendall(struct.pack("!I", len(payload)) + payload)

    def send_message(self, message):
        if not message:
            self.send_record(b"")
        for start in range(0, len(message), MAX_PLAINTEXT):
            self.send_record(message[start : start + MAX_PLAINTEXT])

    def receive(self):
        """The next record's plaintext, or None after a clean close."""
        payload = read_record(self.sock)
        if payload is None:
            return None
        try:
            plaintext = unseal(self.recv_seq, payload)
        except Refused as why:
            sys.exit(f"refused a record: {why}")
        self.recv_seq += 1
        return plaintext


def client(addr):
    host, port = addr.rsplit(":", 1)
    sock = socket.create_connection((host, int(port)))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    channel = Channel(sock)
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        line = line.rstrip(b"\n").rstrip(b"\r")
        channel.send_message(line)
        # At least one record comes back; collect until the line is whole.
        echo = b""
        while True:
            piece = channel.receive()
            if piece is None:
                sys.exit("server closed the connection")
            echo += piece
            if len(echo) >= len(line):
                break
        out.write(echo + b"\n")
        out.flush()
    sock.close()


def server():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    host, port = listener.getsockname()
    print(f"listening on {host}:{port}", file=sys.stderr, flush=True)
    sock, _ = listener.accept()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    channel = Channel(sock)
    while True:
        message = channel.receive()
        if message is None:
            print("client disconnected", file=sys.stderr, flush=True)
            return
        sys.stdout.buffer.write(message + b"\n")
        sys.stdout.buffer.flush()
        channel.send_message(message)


# Fixed inputs for the known-answer test: (name, seq, nonce, plaintext).
# The Rust test lists the same inputs beside the payloads printed here.
KAT_CASES = [
    ("client_seq0", 0, bytes(range(16)), b"GET /transfer?to=bob&amount=100 HTTP/1.1"),
    ("client_seq1_counter_wraps", 1, b"\xff" * 16, b"the counter wraps after one block"),
    ("client_seq2_empty", 2, b"\x42" * 16, b""),
    ("server_seq0", 0, bytes(range(16, 32)), b"GET /transfer?to=bob&amount=100 HTTP/1.1"),
    ("last_seq_a_sender_uses", 2**64 - 2, b"\x07" * 16, b"last"),
]


def kat():
    for name, seq, nonce, plaintext in KAT_CASES:
        print(f"{name} {seal(seq, nonce, plaintext).hex()}")


def main():
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "client":
        client(args[1])
    elif args == ["server"]:
        server()
    elif args == ["kat"]:
        kat()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
