#!/usr/bin/env python3
"""An independent lesson 3 peer: AES-256-CTR under the shared key, in
lesson 2 records, written from the wire format in SPEC.md.

    record   = length (u32 big-endian) || payload
    payload  = nonce (16 random bytes) || AES-256-CTR(key, nonce, plaintext)
    key      = b"0123456789ABCDEF0123456789ABCDEF"

The counter block is the whole 16-byte nonce, as `modes.CTR(nonce)` in
Python's `cryptography` package uses it. The crypto here is that package's,
not ours, so agreeing with the Rust programs checks the format both ways.

    ctr_peer.py client HOST:PORT
        sends each stdin line, prints each echo on stdout
    ctr_peer.py server
        listens on 127.0.0.1:0 (prints "listening on ADDR" on stderr),
        serves one client: prints each decrypted message on stdout and
        sends it back encrypted under a fresh nonce
    ctr_peer.py transcript
        prints, as Rust source, the exact bytes this peer sends for two
        fixed messages under two fixed nonces: the known answer that
        crates/tls/tests/transcripts.rs checks the Rust code against
"""

import os
import socket
import struct
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

KEY = b"0123456789ABCDEF0123456789ABCDEF"
NONCE_LEN = 16
MAX_RECORD = 16 * 1024 * 1024


def ctr(nonce, data):
    """Encrypts or decrypts: CTR is the same XOR both ways."""
    worker = Cipher(algorithms.AES(KEY), modes.CTR(nonce)).encryptor()
    return worker.update(data) + worker.finalize()


def seal(plaintext, nonce=None):
    """nonce || ciphertext; a fresh random nonce unless one is given."""
    if nonce is None:
        nonce = os.urandom(NONCE_LEN)
    return nonce + ctr(nonce, plaintext)


def unseal(payload):
    if len(payload) < NONCE_LEN:
        sys.exit(f"payload of {len(payload)} bytes has no room for a nonce")
    return ctr(payload[:NONCE_LEN], payload[NONCE_LEN:])


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


def write_record(sock, payload):
    # Header and payload in one call, as the Rust side does.
    sock.sendall(struct.pack("!I", len(payload)) + payload)


def read_record(sock):
    header = read_exactly(sock, 4)
    if header is None:
        return None
    (length,) = struct.unpack("!I", header)
    if length > MAX_RECORD:
        sys.exit(f"record length {length} is over 16 MiB")
    if length == 0:
        return b""
    payload = read_exactly(sock, length)
    if payload is None:
        sys.exit("peer closed the connection mid-record")
    return payload


def send_message(sock, message):
    limit = MAX_RECORD - NONCE_LEN
    if not message:
        write_record(sock, seal(b""))
    for start in range(0, len(message), limit):
        write_record(sock, seal(message[start : start + limit]))


def client(addr):
    host, port = addr.rsplit(":", 1)
    sock = socket.create_connection((host, int(port)))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        line = line.rstrip(b"\n").rstrip(b"\r")
        send_message(sock, line)
        # At least one record comes back; collect until the line is whole.
        echo = b""
        while True:
            payload = read_record(sock)
            if payload is None:
                sys.exit("server closed the connection")
            echo += unseal(payload)
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
    while True:
        payload = read_record(sock)
        if payload is None:
            print("client disconnected", file=sys.stderr, flush=True)
            return
        message = unseal(payload)
        sys.stdout.buffer.write(message + b"\n")
        sys.stdout.buffer.flush()
        write_record(sock, seal(message))


# The transcript's fixed inputs. The second nonce is all ones, so the
# 128-bit counter wraps to zero after the first block: both implementations
# must agree on that too.
TRANSCRIPT = [
    (bytes(range(16)), b"GET /transfer?to=bob&amount=100 HTTP/1.1"),
    (b"\xff" * 16, b"hello from the transcript"),
]


class Recorder:
    """Stands in for a socket and keeps everything sent through it."""

    def __init__(self):
        self.sent = bytearray()

    def sendall(self, data):
        self.sent += data


def transcript():
    wire = Recorder()
    for nonce, message in TRANSCRIPT:
        write_record(wire, seal(message, nonce))
    # Print the recorded stream back, field by field, as a Rust constant.
    stream, n = bytes(wire.sent), 0
    print("const LESSON3_STREAM: &[&str] = &[")
    while stream:
        (length,) = struct.unpack("!I", stream[:4])
        payload = stream[4 : 4 + length]
        n += 1
        print(f"    // record {n}: length (u32) = {NONCE_LEN} + {length - NONCE_LEN}")
        print(f'    "{stream[:4].hex()}",')
        print("    // nonce")
        print(f'    "{payload[:NONCE_LEN].hex()}",')
        plaintext = unseal(payload).decode()
        print(f'    // AES-256-CTR ciphertext of "{plaintext}"')
        print(f'    "{payload[NONCE_LEN:].hex()}",')
        stream = stream[4 + length :]
    print("];")


def main():
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "client":
        client(args[1])
    elif args == ["server"]:
        server()
    elif args == ["transcript"]:
        transcript()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
