//! Which libzmq was linked, and that it is the one the build promised.
#![forbid(unsafe_code)]

#[test]
fn runtime_version_matches_the_headers_built_against() {
    let (major, minor, patch) = zmq::version();
    assert!(
        (major, minor) >= (4, 3),
        "libzmq {major}.{minor}.{patch} is older than 4.3"
    );
    assert_eq!(zmq::sys::HEADER_VERSION, format!("{major}.{minor}.{patch}"));
    if zmq::sys::vendored() {
        assert_eq!(
            (major, minor, patch),
            (4, 3, 5),
            "the vendored libzmq is 4.3.5"
        );
    }
}

/// CI exports ZMQ_EXPECT_LINK_MODE (`vendored` or `system`) for each phase, so a phase
/// can never pass having linked the other library.
#[test]
fn link_mode_is_the_expected_one() {
    let expected = match std::env::var("ZMQ_EXPECT_LINK_MODE") {
        Ok(mode) => mode,
        Err(_) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must set ZMQ_EXPECT_LINK_MODE to `vendored` or `system`"
            );
            return;
        }
    };
    match expected.as_str() {
        "vendored" => assert!(zmq::sys::vendored(), "expected the vendored libzmq"),
        "system" => assert!(!zmq::sys::vendored(), "expected the system libzmq"),
        other => panic!("ZMQ_EXPECT_LINK_MODE={other}: expected `vendored` or `system`"),
    }
}

#[test]
fn capabilities() {
    // Every build of libzmq on unix has ipc; a name with NUL is simply absent.
    #[cfg(unix)]
    assert!(zmq::has("ipc"));
    assert!(!zmq::has("no-such-capability"));
    assert!(!zmq::has("ipc\0"));
    if zmq::sys::vendored() {
        // Our vendored build: CURVE exactly when the `curve` feature is on, no
        // transports we do not compile.
        assert_eq!(zmq::has("curve"), cfg!(feature = "curve"));
        assert!(!zmq::has("pgm"));
        assert!(!zmq::has("norm"));
        assert_eq!(zmq::has("draft"), cfg!(feature = "draft"));
    }
}
