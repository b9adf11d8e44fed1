//! Micro-benchmarks for the lesson 9 handshake: the X25519 key pair, the
//! shared secret plus HKDF key split, and both sides end to end in memory.
//!
//! ```text
//! cargo bench -p bench --bench handshake
//! ```

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use tls::lesson07_key_exchange::Handshake;
use tls::lesson08_key_split::SessionKeys;

fn handshake(c: &mut Criterion) {
    let mut group = c.benchmark_group("handshake");
    // A fresh secret and its public key (one fixed-base multiplication).
    group.bench_function("key pair", |b| b.iter(Handshake::new));
    // X25519 with the peer's key, then HKDF: the other half of one side.
    let peer = Handshake::new().public_key();
    group.bench_function("finish", |b| {
        b.iter_batched(
            Handshake::new,
            |ours| {
                let shared = ours.finish(black_box(&peer)).unwrap();
                SessionKeys::derive(shared.as_bytes())
            },
            BatchSize::SmallInput,
        );
    });
    // HKDF alone: extract, then expand twice.
    group.bench_function("key split", |b| {
        b.iter(|| SessionKeys::derive(black_box(&[7; 32])));
    });
    // Everything both sides compute for one connection.
    group.bench_function("both sides", |b| {
        b.iter(|| {
            let client = Handshake::new();
            let server = Handshake::new();
            let server_public = server.public_key();
            let at_server = server.finish(&client.public_key()).unwrap();
            let at_client = client.finish(&server_public).unwrap();
            (
                SessionKeys::derive(at_client.as_bytes()),
                SessionKeys::derive(at_server.as_bytes()),
            )
        });
    });
    group.finish();
}

criterion_group!(benches, handshake);
criterion_main!(benches);
