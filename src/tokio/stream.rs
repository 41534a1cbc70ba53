//! `futures` integration: a `Stream` of received multipart messages and a
//! `Sink` of multipart messages to send, so `StreamExt`, `SinkExt` and
//! `tokio::select!` work on an [`AsyncSocket`] and its halves.

use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_core::Stream;
use futures_sink::Sink;

use super::readiness::{Access, Ticks};
use super::socket::ops;
use super::socket::AsyncSocket;
use super::split::{RecvHalf, SendHalf};
use crate::error::{Error, Result};
use crate::multipart::{Multipart, MultipartSendError};

/// One item of the stream: a whole message, or the error of a receive. After
/// `ETERM` (context shut down) the stream ends.
fn poll_next_message(
    core: &mut impl Access,
    ticks: &mut Ticks,
    done: &mut bool,
    cx: &mut Context<'_>,
) -> Poll<Option<Result<Multipart>>> {
    if *done {
        return Poll::Ready(None);
    }
    let mut msg = Multipart::new();
    match ready!(ops::poll_recv_multipart(core, ticks, cx, &mut msg)) {
        Ok(()) => Poll::Ready(Some(Ok(msg))),
        Err(e) => {
            if e == Error::ETERM {
                *done = true;
            }
            Poll::Ready(Some(Err(e)))
        }
    }
}

/// Sends the message a `start_send` left, if any. It is dropped once sent, and
/// also on error (the error says how many of its frames went).
fn poll_send_pending(
    core: &mut impl Access,
    ticks: &mut Ticks,
    pending: &mut Option<Multipart>,
    cx: &mut Context<'_>,
) -> Poll<std::result::Result<(), MultipartSendError>> {
    let Some(msg) = pending else {
        return Poll::Ready(Ok(()));
    };
    let result = ready!(ops::poll_send_multipart(core, ticks, cx, msg));
    *pending = None;
    Poll::Ready(result)
}

/// Whole messages as they arrive (each allocated anew; for a receive loop that
/// reuses its storage, call `recv_multipart` instead). Cancel-safe: a
/// `poll_next` that returns `Pending` took nothing.
impl Stream for AsyncSocket {
    type Item = Result<Multipart>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        poll_next_message(&mut this.core, &mut this.ticks, &mut this.stream_done, cx)
    }
}

/// As for [`AsyncSocket`].
impl Stream for RecvHalf {
    type Item = Result<Multipart>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        poll_next_message(&mut this.core, &mut this.ticks, &mut this.stream_done, cx)
    }
}

/// Sends whole messages (`SinkExt::send`, `send_all`, `forward` ...). The sink
/// holds one message between `start_send` and the flush that sends it, as
/// `Sink`s do.
impl Sink<Multipart> for AsyncSocket {
    type Error = MultipartSendError;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        poll_send_pending(&mut this.core, &mut this.ticks, &mut this.sink_pending, cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Multipart) -> Result<(), Self::Error> {
        self.get_mut().sink_pending = Some(item);
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        poll_send_pending(&mut this.core, &mut this.ticks, &mut this.sink_pending, cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.poll_flush(cx)
    }
}

/// As for [`AsyncSocket`].
impl Sink<Multipart> for SendHalf {
    type Error = MultipartSendError;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        poll_send_pending(&mut this.core, &mut this.ticks, &mut this.sink_pending, cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Multipart) -> Result<(), Self::Error> {
        self.get_mut().sink_pending = Some(item);
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        poll_send_pending(&mut this.core, &mut this.ticks, &mut this.sink_pending, cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.poll_flush(cx)
    }
}
