//! libzmq's perf workloads on rzmq 0.5 (tokio, its default features: tcp,
//! ipc, inproc; not io_uring). Payloads are written per message (a zeroed
//! `Vec` handed over with `Msg::from_vec`), as the blocking tools write theirs.

use std::future::Future;

use rzmq::{Context, Msg, SocketType, ZmqError};
use zmq_perf_peers::{run, Outcome, Peer, Stopwatch, Workload};

struct Rzmq;

fn err(what: &str) -> impl Fn(ZmqError) -> String + '_ {
    move |e| format!("{what}: {e}")
}

fn payload(size: usize) -> Msg {
    Msg::from_vec(vec![0u8; size])
}

async fn receive(s: &rzmq::Socket, size: usize, count: usize) -> Result<u64, String> {
    let first = s.recv().await.map_err(err("recv"))?;
    if first.size() != size {
        return Err("message of incorrect size received".into());
    }
    let watch = Stopwatch::start();
    for _ in 1..count {
        let m = s.recv().await.map_err(err("recv"))?;
        if m.size() != size {
            return Err("message of incorrect size received".into());
        }
    }
    Ok(watch.stop())
}

async fn send(s: &rzmq::Socket, size: usize, count: usize) -> Result<(), String> {
    for _ in 0..count {
        s.send(payload(size)).await.map_err(err("send"))?;
    }
    Ok(())
}

async fn echo(s: &rzmq::Socket, size: usize, count: usize) -> Result<(), String> {
    for _ in 0..count {
        let m = s.recv().await.map_err(err("recv"))?;
        if m.size() != size {
            return Err("message of incorrect size received".into());
        }
        s.send(m).await.map_err(err("send"))?;
    }
    Ok(())
}

async fn ping(s: &rzmq::Socket, size: usize, count: usize) -> Result<u64, String> {
    let watch = Stopwatch::start();
    for _ in 0..count {
        s.send(payload(size)).await.map_err(err("send"))?;
        let m = s.recv().await.map_err(err("recv"))?;
        if m.size() != size {
            return Err("message of incorrect size received".into());
        }
    }
    Ok(watch.stop())
}

fn context() -> Result<Context, String> {
    Context::new().map_err(err("context"))
}

impl Peer for Rzmq {
    fn local_thr(w: Workload) -> Option<impl Future<Output = Outcome> + Send> {
        Some(async move {
            let ctx = context()?;
            let s = ctx.socket(SocketType::Pull).map_err(err("socket"))?;
            s.bind(&w.endpoint).await.map_err(err("bind"))?;
            let elapsed = receive(&s, w.size, w.count).await?;
            let _ = ctx.term().await;
            Ok(Some(elapsed))
        })
    }

    fn remote_thr(w: Workload) -> Option<impl Future<Output = Outcome> + Send> {
        Some(async move {
            let ctx = context()?;
            let s = ctx.socket(SocketType::Push).map_err(err("socket"))?;
            s.connect(&w.endpoint).await.map_err(err("connect"))?;
            send(&s, w.size, w.count).await?;
            // Linger (rzmq's default waits) delivers what is queued.
            let _ = s.close().await;
            let _ = ctx.term().await;
            Ok(None)
        })
    }

    fn local_lat(w: Workload) -> Option<impl Future<Output = Outcome> + Send> {
        Some(async move {
            let ctx = context()?;
            let s = ctx.socket(SocketType::Rep).map_err(err("socket"))?;
            s.bind(&w.endpoint).await.map_err(err("bind"))?;
            echo(&s, w.size, w.count).await?;
            let _ = s.close().await;
            let _ = ctx.term().await;
            Ok(None)
        })
    }

    fn remote_lat(w: Workload) -> Option<impl Future<Output = Outcome> + Send> {
        Some(async move {
            let ctx = context()?;
            let s = ctx.socket(SocketType::Req).map_err(err("socket"))?;
            s.connect(&w.endpoint).await.map_err(err("connect"))?;
            let elapsed = ping(&s, w.size, w.count).await?;
            let _ = ctx.term().await;
            Ok(Some(elapsed))
        })
    }

    fn inproc_thr(w: Workload) -> Option<impl Future<Output = Outcome> + Send> {
        Some(async move {
            let ctx = context()?;
            let pull = ctx.socket(SocketType::Pull).map_err(err("socket"))?;
            pull.bind("inproc://thr_test").await.map_err(err("bind"))?;
            let push = ctx.socket(SocketType::Push).map_err(err("socket"))?;
            push.connect("inproc://thr_test")
                .await
                .map_err(err("connect"))?;
            let sender =
                tokio::spawn(async move { send(&push, w.size, w.count).await.map(|()| push) });
            let elapsed = receive(&pull, w.size, w.count).await?;
            sender.await.map_err(|e| e.to_string())??;
            let _ = ctx.term().await;
            Ok(Some(elapsed))
        })
    }

    fn inproc_lat(w: Workload) -> Option<impl Future<Output = Outcome> + Send> {
        Some(async move {
            let ctx = context()?;
            let rep = ctx.socket(SocketType::Rep).map_err(err("socket"))?;
            rep.bind("inproc://lat_test").await.map_err(err("bind"))?;
            let req = ctx.socket(SocketType::Req).map_err(err("socket"))?;
            req.connect("inproc://lat_test")
                .await
                .map_err(err("connect"))?;
            let echoing =
                tokio::spawn(async move { echo(&rep, w.size, w.count).await.map(|()| rep) });
            let elapsed = ping(&req, w.size, w.count).await?;
            echoing.await.map_err(|e| e.to_string())??;
            let _ = ctx.term().await;
            Ok(Some(elapsed))
        })
    }
}

fn main() {
    run::<Rzmq>("rzmq");
}
