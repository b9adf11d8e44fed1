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
"""

import os
import socket
import struct
import sys

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


def handshake(sock, is_client):
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


def main():
    args = sys.argv[1:]
    counter = False
    if "--nonce" in args:
        i = args.index("--nonce")
        counter = args[i + 1] == "counter"
        del args[i : i + 2]
    if args[:1] == ["client"] and len(args) == 2:
        run_client(args[1], counter)
    elif args == ["server"]:
        run_server(counter)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
