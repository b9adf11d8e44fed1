//! The memory budget, in a process of its own (the budget is process-wide,
//! and this file is the only one that sets it).

use tls::Error;
use tls::runtime::budget::{self, MessageBuffer};

#[test]
fn the_budget_refuses_what_would_pass_it_and_takes_back_what_is_freed() {
    budget::set_limit(1_000_000);

    // 600 kB fits.
    let big = vec![1u8; 600_000];
    let mut first = MessageBuffer::new();
    first
        .read_exact_from(&mut big.as_slice(), big.len())
        .unwrap();
    assert_eq!(budget::in_use(), 600_000);

    // Another 600 kB would make 1.2 MB: refused before a byte is read.
    let mut second = MessageBuffer::new();
    let mut reader = big.as_slice();
    let refused = second.read_exact_from(&mut reader, big.len());
    assert!(
        matches!(
            refused,
            Err(Error::OverBudget {
                wanted: 600_000,
                budget: 1_000_000
            })
        ),
        "{refused:?}"
    );
    assert_eq!(reader.len(), big.len(), "nothing was read");
    assert_eq!(budget::in_use(), 600_000);

    // The first buffer shrinks back after its message: now it fits.
    first.recycle();
    assert_eq!(budget::in_use(), 0);
    second.read_exact_from(&mut reader, big.len()).unwrap();
    assert_eq!(budget::in_use(), 600_000);

    // Dropping a buffer gives everything back.
    drop(second);
    drop(first);
    assert_eq!(budget::in_use(), 0);

    // A plain claim (the tools' splitter) counts against the same budget.
    let mut claim = budget::Charge::default();
    claim.set(900_000).unwrap();
    assert!(matches!(
        claim.set(1_100_000),
        Err(Error::OverBudget { .. })
    ));
    assert_eq!(budget::in_use(), 900_000, "a refused claim changes nothing");
    claim.set(10).unwrap();
    drop(claim);
    assert_eq!(budget::in_use(), 0);

    // The refusal reads as a reason a server can print.
    let reason = Error::OverBudget {
        wanted: 16 << 20,
        budget: 256 << 20,
    }
    .to_string();
    assert_eq!(
        reason,
        "a message of 16777216 bytes would take the server past its memory budget of 256 MiB (--memory-budget)"
    );
}
