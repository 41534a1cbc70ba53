//! libzmq's perf workloads on zmq.rs (`zeromq` 0.7, tokio runtime, tcp only:
//! it has no `inproc://`). Payloads are written per message (a zeroed `Vec`
//! handed over as `Bytes`), as the blocking tools write theirs.

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use zeromq::prelude::*;
use zeromq::{ZmqError, ZmqMessage};
use zmq_perf_peers::{run, Outcome, Peer, Stopwatch, Workload};

struct ZmqRs;

fn err(what: &str) -> impl Fn(ZmqError) -> String + '_ {
    move |e| format!("{what}: {e}")
}

fn payload(size: usize) -> ZmqMessage {
    ZmqMessage::from(Bytes::from(vec![0u8; size]))
}

fn size_of(m: &ZmqMessage) -> usize {
    m.iter().map(|f| f.len()).sum()
}

/// Sends, retrying while zmq.rs has no connected peer yet (it refuses then,
/// where libzmq queues).
async fn send_when_connected<S: SocketSend>(s: &mut S, mut m: ZmqMessage) -> Result<(), String> {
    loop {
        match s.send(m).await {
            Ok(()) => return Ok(()),
            Err(ZmqError::ReturnToSender { message, .. }) => {
                m = message;
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            Err(e) => return Err(format!("send: {e}")),
        }
    }
}

impl Peer for ZmqRs {
    fn local_thr(w: Workload) -> Option<impl Future<Output = Outcome> + Send> {
        Some(async move {
            let mut s = zeromq::PullSocket::new();
            s.bind(&w.endpoint).await.map_err(err("bind"))?;
            let first = s.recv().await.map_err(err("recv"))?;
            if size_of(&first) != w.size {
                return Err("message of incorrect size received".into());
            }
            let watch = Stopwatch::start();
            for _ in 1..w.count {
                let m = s.recv().await.map_err(err("recv"))?;
                if size_of(&m) != w.size {
                    return Err("message of incorrect size received".into());
                }
            }
            Ok(Some(watch.stop()))
        })
    }

    fn remote_thr(w: Workload) -> Option<impl Future<Output = Outcome> + Send> {
        Some(async move {
            let mut s = zeromq::PushSocket::new();
            let mut events = s.monitor();
            s.connect(&w.endpoint).await.map_err(err("connect"))?;
            send_when_connected(&mut s, payload(w.size)).await?;
            for _ in 1..w.count {
                s.send(payload(w.size)).await.map_err(err("send"))?;
            }
            // zmq.rs has no linger: closing now would drop what is still queued.
            // The receiver leaves once it has every message; wait for that.
            let gone = async {
                while let Some(event) = events.next().await {
                    if matches!(event, zeromq::SocketEvent::Disconnected(_)) {
                        break;
                    }
                }
            };
            let _ = tokio::time::timeout(Duration::from_secs(60), gone).await;
            Ok(None)
        })
    }

    fn local_lat(w: Workload) -> Option<impl Future<Output = Outcome> + Send> {
        Some(async move {
            let mut s = zeromq::RepSocket::new();
            s.bind(&w.endpoint).await.map_err(err("bind"))?;
            for _ in 0..w.count {
                let m = s.recv().await.map_err(err("recv"))?;
                if size_of(&m) != w.size {
                    return Err("message of incorrect size received".into());
                }
                s.send(m).await.map_err(err("send"))?;
            }
            Ok(None)
        })
    }

    fn remote_lat(w: Workload) -> Option<impl Future<Output = Outcome> + Send> {
        Some(async move {
            let mut s = zeromq::ReqSocket::new();
            s.connect(&w.endpoint).await.map_err(err("connect"))?;
            // As in C, the clock starts before the first request, which waits
            // for the connection (libzmq queues it; zmq.rs refuses until then).
            let watch = Stopwatch::start();
            for i in 0..w.count {
                if i == 0 {
                    send_when_connected(&mut s, payload(w.size)).await?;
                } else {
                    s.send(payload(w.size)).await.map_err(err("send"))?;
                }
                let m = s.recv().await.map_err(err("recv"))?;
                if size_of(&m) != w.size {
                    return Err("message of incorrect size received".into());
                }
            }
            Ok(Some(watch.stop()))
        })
    }

    fn inproc_thr(_: Workload) -> Option<impl Future<Output = Outcome> + Send> {
        None::<std::future::Ready<Outcome>>
    }

    fn inproc_lat(_: Workload) -> Option<impl Future<Output = Outcome> + Send> {
        None::<std::future::Ready<Outcome>>
    }
}

fn main() {
    run::<ZmqRs>("zmqrs");
}
