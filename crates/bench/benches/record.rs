//! Micro-benchmarks for the lesson 9 record layer: sealing and opening one
//! record at a chat-line size, TLS's record size and lesson 9's largest, and
//! the cost of each nonce policy.
//!
//! ```text
//! cargo bench -p bench --bench record
//! ```

use std::hint::black_box;

use chacha20poly1305::{ChaCha20Poly1305, KeyInit};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tls::lesson09_encrypted_echo::nonce::{NonceMode, NonceSequence};
use tls::lesson09_encrypted_echo::record::{MAX_PLAINTEXT_LEN, NONCE_LEN, PREFIX_LEN, open, seal};

/// 64 B: a chat line. 16 KiB: a TLS record. 65,507 B: lesson 9's largest.
const SIZES: [usize; 3] = [64, 16 * 1024, MAX_PLAINTEXT_LEN];

fn records(c: &mut Criterion) {
    let cipher = ChaCha20Poly1305::new(&[7; 32].into());
    let nonce = [1; NONCE_LEN];
    let mut group = c.benchmark_group("record");
    for size in SIZES {
        group.throughput(Throughput::Bytes(size as u64));
        let plaintext = vec![0x61; size];
        let mut wire = Vec::new();
        group.bench_with_input(BenchmarkId::new("seal", size), &plaintext, |b, p| {
            b.iter(|| seal(&cipher, &nonce, black_box(p), &mut wire).unwrap());
        });
        // `open` decrypts in place, so every iteration gets a fresh copy of
        // the body; making the copy is not timed.
        seal(&cipher, &nonce, &plaintext, &mut wire).unwrap();
        let body = wire[PREFIX_LEN..].to_vec();
        group.bench_with_input(BenchmarkId::new("open", size), &body, |b, body| {
            b.iter_batched_ref(
                || body.clone(),
                |body| open(&cipher, body).unwrap().1.len(),
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

fn nonces(c: &mut Criterion) {
    let mut group = c.benchmark_group("nonce");
    for mode in [NonceMode::Random, NonceMode::Counter] {
        let mut nonces = NonceSequence::new(mode);
        group.bench_function(mode.to_string(), |b| {
            b.iter(|| nonces.next_nonce().unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, records, nonces);
criterion_main!(benches);
