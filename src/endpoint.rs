//! What this crate reads in an endpoint string (`transport://address`) before
//! libzmq sees it: the checks that keep libzmq from misreading an address, or
//! accepting one it will abort on later in an I/O thread.

use crate::error::{Error, Result};

/// The transport of an endpoint (`"tcp"`, `"inproc"` ...), if it names one.
pub(crate) fn transport(endpoint: &str) -> Option<&str> {
    endpoint.split_once("://").map(|(transport, _)| transport)
}

/// Whether an endpoint is of the `udp` transport.
pub(crate) fn is_udp(endpoint: &str) -> bool {
    transport(endpoint) == Some("udp")
}

/// The longest `ws://` or `wss://` endpoint a connect takes: libzmq writes the HTTP
/// upgrade request, with the endpoint's host and path, into a fixed 8192-byte buffer
/// and asserts that it fitted (`ws_engine.cpp:140`); its fixed text is under 200
/// bytes.
pub(crate) const WS_ENDPOINT_MAX: usize = 7 * 1024;

/// The longest host name of a `tcp://` connect: through a SOCKS proxy libzmq puts
/// the host in a one-byte-length field and asserts that it fitted
/// (`socks.cpp:198`, `208`); no DNS name (253) or address is longer anyway.
pub(crate) const TCP_HOST_MAX: usize = 255;

/// Checks what a connect's endpoint must satisfy beyond the port (`EINVAL`): a
/// `ws://`/`wss://` endpoint no longer than [`WS_ENDPOINT_MAX`], `tcp://` hosts no
/// longer than [`TCP_HOST_MAX`] (each of a `source;destination` pair).
pub(crate) fn check_connect(endpoint: &str) -> Result<()> {
    let Some((transport, address)) = endpoint.split_once("://") else {
        return Ok(());
    };
    match transport {
        "ws" | "wss" if endpoint.len() > WS_ENDPOINT_MAX => Err(Error::EINVAL),
        "tcp" => {
            for part in address.split(';') {
                let host = part.rsplit_once(':').map_or(part, |(host, _)| host);
                if host.len() > TCP_HOST_MAX {
                    return Err(Error::EINVAL);
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Refuses a numeric port above 65535 in a `tcp`, `udp`, `ws`, `wss`, `pgm` or
/// `epgm` endpoint with `EINVAL`. libzmq reads the port with `atoi` and keeps 16
/// bits of it, so `tcp://127.0.0.1:99999` would silently mean port 34463 (and
/// `connect` would accept 65536). Ports given as `*`, `0` or a service are left to
/// libzmq.
pub(crate) fn check_port(endpoint: &str) -> Result<()> {
    let Some((transport, address)) = endpoint.split_once("://") else {
        return Ok(());
    };
    let address = match transport {
        "tcp" | "udp" | "pgm" | "epgm" => address,
        // ws://host:port/path: the port ends at the path.
        "ws" | "wss" => address.split('/').next().unwrap_or(address),
        _ => return Ok(()),
    };
    let Some((_, port)) = address.rsplit_once(':') else {
        return Ok(());
    };
    if port.bytes().all(|b| b.is_ascii_digit()) {
        let digits = port.trim_start_matches('0');
        if digits.len() > 5 || digits.parse::<u32>().is_ok_and(|p| p > 65535) {
            return Err(Error::EINVAL);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_above_65535_are_refused_instead_of_wrapping() {
        for bad in [
            "tcp://127.0.0.1:65536",
            "tcp://127.0.0.1:99999",
            "tcp://127.0.0.1:4294967296",
            "tcp://127.0.0.1:000000065536",
            "tcp://[::1]:70000",
            "tcp://127.0.0.1:5555;127.0.0.1:65536",
            "udp://127.0.0.1:65536",
            "ws://127.0.0.1:65536/path",
            "epgm://eth0;239.192.1.1:65536",
        ] {
            assert_eq!(check_port(bad), Err(Error::EINVAL), "{bad}");
        }
        for fine in [
            "tcp://127.0.0.1:65535",
            "tcp://127.0.0.1:0",
            "tcp://127.0.0.1:*",
            "tcp://127.0.0.1:00080",
            "tcp://[::1]:5555",
            "ws://127.0.0.1:8080/a:99999",
            "ipc:///tmp/x:99999",
            "inproc://name:99999",
            "tcp://127.0.0.1:",
            "no scheme",
        ] {
            assert_eq!(check_port(fine), Ok(()), "{fine}");
        }
        // Through the socket calls, before libzmq sees the endpoint.
        let ctx = crate::Context::new().unwrap();
        let s = ctx.socket(crate::SocketType::Push).unwrap();
        assert_eq!(s.bind("tcp://127.0.0.1:99999"), Err(Error::EINVAL));
        assert_eq!(s.connect("tcp://127.0.0.1:65536"), Err(Error::EINVAL));
    }

    #[test]
    fn connect_lengths() {
        assert_eq!(check_connect("tcp://127.0.0.1:5555"), Ok(()));
        let long = format!("tcp://{}.example:5555", "h".repeat(300));
        assert_eq!(check_connect(&long), Err(Error::EINVAL));
        let fits = format!("tcp://{}.example:5555", "h".repeat(200));
        assert_eq!(check_connect(&fits), Ok(()));
        let source = format!("tcp://{}:0;127.0.0.1:5555", "h".repeat(300));
        assert_eq!(check_connect(&source), Err(Error::EINVAL));
        let ws = format!("ws://127.0.0.1:5555/{}", "p".repeat(8192));
        assert_eq!(check_connect(&ws), Err(Error::EINVAL));
        assert_eq!(check_connect("ws://127.0.0.1:5555/path"), Ok(()));
        assert_eq!(check_connect("inproc://x"), Ok(()));
    }

    #[test]
    fn transports() {
        assert!(is_udp("udp://x:1") && !is_udp("tcp://x:1") && !is_udp("udp"));
        assert_eq!(transport("inproc://a"), Some("inproc"));
        assert_eq!(transport("no scheme"), None);
    }
}
