#!/usr/bin/env python3
"""An independent lesson 9 peer, written from the wire format in SPEC.md.

It uses Python's `cryptography` package for X25519, HKDF-SHA256 and
ChaCha20-Poly1305, so when it talks to the Rust programs, the wire format is
checked by code whose crypto we did not write.

    lesson9_peer.py client HOST:PORT [--nonce random|counter]
        sends each stdin line, prints each echo on stdout
    lesson9_peer.py server [--nonce random|counter]
        listens on 127.0.0.1:0 (prints "listening on ADDR" on stderr),
        serves one client: prints each message on stdout and echoes it
    lesson9_peer.py transcript [--nonce counter]
        runs a client and a server of this peer against each other over a
        socket pair, with RFC 7748 section 6.1's key pairs (Alice is the
        client, Bob the server) and counter nonces, and prints, as Rust
        source, every byte each side sent: the known answer that
        crates/tls/tests/transcripts.rs checks the Rust code against
"""

import os
import socket
import struct
import sys
import threading

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SALT = b"salam"
NONCE_LEN = 12
TAG_LEN = 16
MAX_PLAINTEXT = 65535 - NONCE_LEN - TAG_LEN


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None if not data else sys.exit("peer closed mid-message")
        data += chunk
    return data


def derive(shared, label):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=SALT, info=label).derive(shared)


def handshake(sock, is_client, ours=None):
    if ours is None:
        ours = X25519PrivateKey.generate()
    ours_raw = ours.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    if is_client:
        sock.sendall(ours_raw)
        theirs = recv_exact(sock, 32)
    else:
        theirs = recv_exact(sock, 32)
        sock.sendall(ours_raw)
    # cryptography raises on an all-zero shared secret, as the spec requires.
    shared = ours.exchange(X25519PublicKey.from_public_bytes(theirs))
    c2s = ChaCha20Poly1305(derive(shared, b"c2s"))
    s2c = ChaCha20Poly1305(derive(shared, b"s2c"))
    return (c2s, s2c) if is_client else (s2c, c2s)


class Channel:
    def __init__(self, sock, send_aead, recv_aead, counter):
        self.sock = sock
        self.send_aead, self.recv_aead = send_aead, recv_aead
        self.counter = counter
        self.sent = self.received = 0

    def next_nonce(self):
        if not self.counter:
            return os.urandom(NONCE_LEN)
        nonce = b"\x00" * 4 + struct.pack(">Q", self.sent)
        self.sent += 1
        return nonce

    def send(self, plaintext):
        nonce = self.next_nonce()
        body = nonce + self.send_aead.encrypt(nonce, plaintext, b"")
        # One write per record: length prefix and body together.
        self.sock.sendall(struct.pack(">H", len(body)) + body)

    def send_message(self, message):
        if not message:
            self.send(b"")
        for i in range(0, len(message), MAX_PLAINTEXT):
            self.send(message[i : i + MAX_PLAINTEXT])

    def recv(self):
        prefix = recv_exact(self.sock, 2)
        if prefix is None:
            return None
        (length,) = struct.unpack(">H", prefix)
        if length < NONCE_LEN + TAG_LEN:
            sys.exit(f"record length {length} too short")
        body = recv_exact(self.sock, length)
        if body is None:
            sys.exit("peer closed mid-record")
        nonce, sealed = body[:NONCE_LEN], body[NONCE_LEN:]
        if self.counter:
            expected = b"\x00" * 4 + struct.pack(">Q", self.received)
            if nonce != expected:
                sys.exit("unexpected nonce")
            self.received += 1
        return self.recv_aead.decrypt(nonce, sealed, b"")


def run_client(addr, counter):
    host, port = addr.rsplit(":", 1)
    sock = socket.create_connection((host, int(port)))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    send, recv = handshake(sock, is_client=True)
    chan = Channel(sock, send, recv, counter)
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        line = line.rstrip(b"\n").rstrip(b"\r")
        chan.send_message(line)
        # Every message comes back as at least one record; a long one as
        # several, so read until the whole line is back.
        echo = chan.recv()
        while echo is not None and len(echo) < len(line):
            piece = chan.recv()
            echo = None if piece is None else echo + piece
        if echo is None:
            sys.exit("server closed the connection")
        out.write(echo + b"\n")
        out.flush()
    sock.close()


def run_server(counter):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    host, port = listener.getsockname()
    print(f"listening on {host}:{port}", file=sys.stderr, flush=True)
    sock, _ = listener.accept()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    send, recv = handshake(sock, is_client=False)
    chan = Channel(sock, send, recv, counter)
    while True:
        message = chan.recv()
        if message is None:
            print("client disconnected", file=sys.stderr, flush=True)
            return
        sys.stdout.buffer.write(message + b"\n")
        sys.stdout.buffer.flush()
        chan.send(message)


# The transcript's fixed inputs: RFC 7748 section 6.1's private keys, and
# the client's two messages (the second is empty: the smallest record).
ALICE_PRIVATE = bytes.fromhex(
    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
)
BOB_PRIVATE = bytes.fromhex(
    "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"
)
TRANSCRIPT_MESSAGES = [b"GET /transfer?to=bob&amount=100 HTTP/1.1", b""]


class Recorder:
    """A socket that keeps a copy of everything sent through it."""

    def __init__(self, sock):
        self.sock, self.sent = sock, bytearray()

    def sendall(self, data):
        self.sent += data
        self.sock.sendall(data)

    def recv(self, n):
        return self.sock.recv(n)


def transcript_server(sock):
    private = X25519PrivateKey.from_private_bytes(BOB_PRIVATE)
    send, recv = handshake(sock, is_client=False, ours=private)
    chan = Channel(sock, send, recv, counter=True)
    for _ in TRANSCRIPT_MESSAGES:
        chan.send(chan.recv())


def transcript_client(sock):
    private = X25519PrivateKey.from_private_bytes(ALICE_PRIVATE)
    send, recv = handshake(sock, is_client=True, ours=private)
    chan = Channel(sock, send, recv, counter=True)
    for message in TRANSCRIPT_MESSAGES:
        chan.send_message(message)
        if chan.recv() != message:
            sys.exit("the echo differs from the message")


def print_stream(name, stream, first):
    """`stream` as a Rust constant: the public key, then each record's fields."""
    print(f"const {name}: &[&str] = &[")
    print(f"    // {first}")
    print(f'    "{stream[:32].hex()}",')
    stream, n = stream[32:], 0
    while stream:
        (length,) = struct.unpack(">H", stream[:2])
        body = stream[2 : 2 + length]
        plaintext = TRANSCRIPT_MESSAGES[n].decode()
        sealed = len(body) - NONCE_LEN - TAG_LEN
        print(f"    // record {n}: len (u16) = {NONCE_LEN} + {sealed} + {TAG_LEN}")
        print(f'    "{stream[:2].hex()}",')
        print(f"    // nonce: counter {n}")
        print(f'    "{body[:NONCE_LEN].hex()}",')
        print(f'    // ChaCha20 ciphertext of "{plaintext}"')
        print(f'    "{body[NONCE_LEN:-TAG_LEN].hex()}",')
        print("    // Poly1305 tag")
        print(f'    "{body[-TAG_LEN:].hex()}",')
        stream, n = stream[2 + length :], n + 1
    print("];")


def transcript():
    client_end, server_end = socket.socketpair()
    client, server = Recorder(client_end), Recorder(server_end)
    serving = threading.Thread(target=transcript_server, args=(server,))
    serving.start()
    transcript_client(client)
    serving.join()
    print_stream("LESSON9_CLIENT_TO_SERVER", bytes(client.sent), "client public key (Alice's)")
    print()
    print_stream("LESSON9_SERVER_TO_CLIENT", bytes(server.sent), "server public key (Bob's)")


def main():
    args = sys.argv[1:]
    counter, nonce_given = False, "--nonce" in args
    if nonce_given:
        i = args.index("--nonce")
        counter = args[i + 1] == "counter"
        del args[i : i + 2]
    if args[:1] == ["client"] and len(args) == 2:
        run_client(args[1], counter)
    elif args == ["server"]:
        run_server(counter)
    elif args == ["transcript"]:
        # Counter nonces always: random ones would make no known answer.
        if nonce_given and not counter:
            sys.exit("transcript uses counter nonces only")
        transcript()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
