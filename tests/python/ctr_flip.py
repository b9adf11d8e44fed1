#!/usr/bin/env python3
"""Lesson 4 on the wire: send the lesson 3 server a request whose ciphertext
Mallory has changed, and watch the server accept `amount=900`.

    ctr_flip.py [HOST:PORT]        (default 127.0.0.1:7878)

Alice's part (encrypting under the shared key) and Mallory's part (one XOR
on the ciphertext, no key) are both done here, one after the other, so the
attack runs against the real 3-ctr-echo-server without a proxy.
"""

import socket
import sys

from ctr_peer import NONCE_LEN, read_record, seal, unseal, write_record

REQUEST = b"GET /transfer?to=bob&amount=100 HTTP/1.1"


def main():
    addr = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:7878"
    host, port = addr.rsplit(":", 1)

    # Alice: nonce || AES-256-CTR(key, nonce, request).
    payload = bytearray(seal(REQUEST))

    # Mallory: she knows the digit after "amount=" is "1" and wants "9".
    digit = REQUEST.index(b"amount=") + len(b"amount=")
    mask = ord("1") ^ ord("9")
    before = payload[NONCE_LEN + digit]
    payload[NONCE_LEN + digit] ^= mask
    print(f"flipped ciphertext byte {digit}: 0x{before:02x} ^ 0x{mask:02x} "
          f"= 0x{payload[NONCE_LEN + digit]:02x}")

    with socket.create_connection((host, int(port))) as sock:
        write_record(sock, bytes(payload))
        echo = read_record(sock)
    if echo is None:
        sys.exit("server closed the connection without answering")
    print("server echoed:", unseal(echo).decode("utf-8", "replace"))


if __name__ == "__main__":
    main()
