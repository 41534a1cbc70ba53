//! COVERAGE.md names every C function the bindings declare, so nothing of libzmq's
//! API is silently left out.
#![forbid(unsafe_code)]

const COVERAGE: &str = include_str!("../COVERAGE.md");
const STABLE: &str = include_str!("../zmq-sys/src/bindings.rs");
const DRAFT: &str = include_str!("../zmq-sys/src/draft.rs");

fn declared_functions(source: &str) -> Vec<String> {
    source
        .split("pub fn ")
        .skip(1)
        .filter_map(|rest| rest.split('(').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_function_of_the_bindings_is_in_the_coverage_table() {
    let mut functions = declared_functions(STABLE);
    let stable = functions.len();
    functions.extend(declared_functions(DRAFT));
    assert!(
        stable >= 70,
        "only {stable} stable functions found: parsing broke?"
    );
    let missing: Vec<_> = functions
        .iter()
        .filter(|f| !COVERAGE.contains(&format!("`{f}`")))
        .collect();
    assert!(missing.is_empty(), "not in COVERAGE.md: {missing:?}");
}

#[test]
fn every_monitor_event_and_socket_type_is_named() {
    for source in [STABLE, DRAFT] {
        for name in source
            .split("pub const ")
            .skip(1)
            .filter_map(|r| r.split(':').next())
        {
            if let Some(event) = name.strip_prefix("ZMQ_EVENT_") {
                assert!(
                    COVERAGE.contains(&format!("`{event}`")),
                    "event {name} missing"
                );
            }
        }
    }
    for t in zmq::SocketType::ALL {
        assert!(
            COVERAGE.contains(&format!("`{t}`")),
            "socket type {t} missing"
        );
    }
}
