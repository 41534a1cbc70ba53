//! Receiving and polling with a bounded spin before blocking
//! ([`Socket::recv_msg_spin`], [`poll_spin`]): latency bought with CPU time.
//!
//! A blocking receive that finds nothing puts its thread to sleep in the kernel
//! (`poll(2)` on the socket's mailbox), and the sender's wake-up costs a
//! scheduler round trip: on a small virtual machine most of a message's
//! latency. Retrying without blocking for a short, bounded time first keeps the
//! thread running, so a message that arrives meanwhile is taken at once, the way
//! low-latency messaging libraries offer busy-spin idle strategies. It is opt-in:
//! the plain calls never spin.
//!
//! # When spinning is a bad idea
//!
//! * **Fewer free cores than spinning threads.** A spinning thread keeps its
//!   core busy. It yields the core between tries (`sched_yield`), so the thread
//!   that would send the awaited message (or libzmq's I/O thread, which moves
//!   tcp messages) gets it at once rather than after a time slice, but every
//!   other program on the machine competes with the spin for CPU time.
//! * **Battery-powered or thermally limited machines**: a spin burns power at
//!   full speed for every wait, also when nothing comes.
//! * **Shared hosts** (containers, CI runners, VMs with overcommitted CPUs): the
//!   CPU time a spin takes is taken from the neighbours, and a spinning thread
//!   descheduled by the hypervisor gains nothing.
//! * **Idle or bursty traffic**: each wait costs up to the whole spin in CPU
//!   time. Pick a spin a little longer than the usual gap between messages of a
//!   burst (a request-reply round trip, say), not longer.
//!
//! Spinning costs nothing when the message is already there: the first
//! non-blocking try takes it.

use std::time::{Duration, Instant};

use crate::{poll, Error, Message, PollEvents, PollItem, RecvFlags, Result, Socket};

/// Calls `attempt` until it gives something other than `EAGAIN`, checking
/// `expired` before each call; `None` once `expired` says the spin is over.
///
/// The bound is `expired` alone, so the number of attempts is exactly the number
/// of times it answered `false`: the unit tests count them with a fake clock.
fn spin<T>(
    mut attempt: impl FnMut() -> Result<T>,
    mut expired: impl FnMut() -> bool,
) -> Option<Result<T>> {
    while !expired() {
        match attempt() {
            // Give the core away between tries (`sched_yield`): a thread that
            // needs it (the sender, libzmq's I/O thread moving the awaited tcp
            // message) runs at once instead of after our time slice, and with
            // nobody else runnable the call returns at once. A pure CPU spin
            // (`spin_loop`) measured 6-30x slower than not spinning at all on
            // two busy cores; yielding kept the gain.
            Err(Error::EAGAIN) => std::thread::yield_now(),
            done => return Some(done),
        }
    }
    None
}

/// `d` in whole milliseconds, rounded up (a wait never ends early), as libzmq's
/// `long` timeouts; saturating.
fn ceil_ms(d: Duration) -> i64 {
    let ms = d.as_millis() + u128::from(d.subsec_nanos() % 1_000_000 != 0);
    i64::try_from(ms).unwrap_or(i64::MAX)
}

/// The spin of a wait bounded by `timeout_ms` (libzmq's convention: negative is
/// forever, 0 is never wait): at most `spin`, and never past the timeout.
fn spin_within(spin: Duration, timeout_ms: i64) -> Duration {
    match u64::try_from(timeout_ms) {
        Ok(t) => spin.min(Duration::from_millis(t)),
        Err(_) => spin,
    }
}

impl Socket {
    /// Receives one frame into `msg` as [`Socket::recv_msg`] does without flags,
    /// but first retries without blocking (`ZMQ_DONTWAIT`) for up to `spin`,
    /// yielding the thread's core between tries, and blocks only after that. A message that arrives during the spin is taken
    /// without the thread ever sleeping, which saves the wake-up (most of the
    /// latency of an inproc or loopback round trip); a message that arrives
    /// later is received by the ordinary blocking receive.
    ///
    /// The socket's receive timeout (`ZMQ_RCVTIMEO`, [`Socket::set_rcvtimeo`])
    /// bounds the whole call, spin included: with a timeout of 0 it makes one
    /// non-blocking try (`EAGAIN` if nothing is there), with a positive timeout
    /// it spins for at most that long and then waits out the rest, and gives
    /// `EAGAIN` when the timeout passes. Any error other than `EAGAIN` ends the
    /// call at once (`ETERM`, `EFSM`, `EINTR` ...), as does a message.
    ///
    /// It spends CPU for latency: read the module's notes on when not to spin
    /// (fewer cores than spinning threads, battery, shared hosts). A message
    /// already queued costs one non-blocking receive, the same as
    /// [`Socket::recv_msg`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use zmq::{Message, RecvFlags, SendFlags};
    ///
    /// let ctx = zmq::Context::new()?;
    /// let rep = ctx.socket(zmq::REP)?;
    /// rep.bind("inproc://spin-doc")?;
    /// let req = ctx.socket(zmq::REQ)?;
    /// req.connect("inproc://spin-doc")?;
    ///
    /// let server = std::thread::spawn(move || -> zmq::Result<()> {
    ///     let mut msg = Message::new();
    ///     rep.recv_msg_spin(&mut msg, Duration::from_micros(50))?;
    ///     rep.send_msg(&mut msg, SendFlags::empty())
    /// });
    /// req.send("ping", SendFlags::empty())?;
    /// let mut reply = Message::new();
    /// req.recv_msg_spin(&mut reply, Duration::from_micros(50))?;
    /// assert_eq!(&reply[..], b"ping");
    /// server.join().unwrap()?;
    /// # Ok::<(), zmq::Error>(())
    /// ```
    #[doc(alias = "zmq_msg_recv")]
    #[doc(alias = "busy_spin")]
    #[inline]
    pub fn recv_msg_spin(&self, msg: &mut Message, spin: Duration) -> Result<usize> {
        match self.recv_msg(msg, RecvFlags::DONTWAIT) {
            Err(Error::EAGAIN) => self.recv_msg_spin_wait(msg, spin),
            done => done,
        }
    }

    /// The rest of [`Socket::recv_msg_spin`] after a first try found nothing.
    #[inline(never)]
    fn recv_msg_spin_wait(&self, msg: &mut Message, spin: Duration) -> Result<usize> {
        let start = Instant::now();
        self.recv_msg_spin_clocked(msg, spin, || start.elapsed())
    }

    /// [`Socket::recv_msg_spin_wait`] on a clock of the caller's (`elapsed`: the
    /// time since the wait began), so the unit tests can count the spin's tries.
    fn recv_msg_spin_clocked(
        &self,
        msg: &mut Message,
        spin_for: Duration,
        mut elapsed: impl FnMut() -> Duration,
    ) -> Result<usize> {
        let timeout_ms = i64::from(self.get_rcvtimeo()?);
        if timeout_ms == 0 {
            return Err(Error::EAGAIN);
        }
        let spin_for = spin_within(spin_for, timeout_ms);
        let try_once = || self.recv_msg(msg, RecvFlags::DONTWAIT);
        if let Some(done) = spin(try_once, || elapsed() >= spin_for) {
            return done;
        }
        if timeout_ms < 0 {
            // No timeout: the ordinary blocking receive, libzmq's own wait.
            return self.recv_msg(msg, RecvFlags::empty());
        }
        // A timeout: what is left of it, waited for with zmq_poll (a blocking
        // receive would wait the whole of RCVTIMEO again).
        let timeout = Duration::from_millis(timeout_ms.unsigned_abs());
        loop {
            let left = timeout.saturating_sub(elapsed());
            let mut item = [PollItem::from_socket(self, PollEvents::POLLIN)];
            poll(&mut item, ceil_ms(left))?;
            match self.recv_msg(msg, RecvFlags::DONTWAIT) {
                Err(Error::EAGAIN) if !left.is_zero() => continue,
                done => return done,
            }
        }
    }
}

/// [`poll`] with a bounded spin first: polls without waiting (timeout 0),
/// yielding the thread's core between polls, until an item is ready or
/// `spin_for` has passed, and only then waits, for what
/// is left of `timeout_ms` (negative: forever; 0: one non-waiting poll, no
/// spin). Returns the number of ready items, as [`poll`] does, with each item's
/// [`PollItem::revents`] set by the last poll.
///
/// Each spinning poll is a `zmq_poll` with timeout 0 (a `poll(2)` system call
/// and a `ZMQ_EVENTS` read per socket), so a spin costs more per try than
/// [`Socket::recv_msg_spin`]'s; use it where one thread serves several sockets.
/// The same cautions apply (see the module: fewer cores than spinning threads,
/// battery, shared hosts).
///
/// ```
/// use std::time::Duration;
/// use zmq::{PollEvents, RecvFlags, SendFlags};
///
/// let ctx = zmq::Context::new()?;
/// let pull = ctx.socket(zmq::PULL)?;
/// pull.bind("inproc://poll-spin-doc")?;
/// let push = ctx.socket(zmq::PUSH)?;
/// push.connect("inproc://poll-spin-doc")?;
/// push.send("job", SendFlags::empty())?;
///
/// let mut items = [pull.as_poll_item(PollEvents::POLLIN)];
/// assert_eq!(zmq::poll_spin(&mut items, 1000, Duration::from_micros(100))?, 1);
/// assert!(items[0].is_readable());
/// assert_eq!(pull.recv_bytes(RecvFlags::DONTWAIT)?, b"job");
/// # Ok::<(), zmq::Error>(())
/// ```
#[doc(alias = "zmq_poll")]
pub fn poll_spin(items: &mut [PollItem<'_>], timeout_ms: i64, spin_for: Duration) -> Result<usize> {
    let ready = poll(items, 0)?;
    if ready > 0 || timeout_ms == 0 {
        return Ok(ready);
    }
    let start = Instant::now();
    let spin_for = spin_within(spin_for, timeout_ms);
    let try_once = || match poll(items, 0)? {
        0 => Err(Error::EAGAIN),
        n => Ok(n),
    };
    if let Some(done) = spin(try_once, || start.elapsed() >= spin_for) {
        return done;
    }
    if timeout_ms < 0 {
        return poll(items, -1);
    }
    let left = Duration::from_millis(timeout_ms.unsigned_abs()).saturating_sub(start.elapsed());
    poll(items, ceil_ms(left))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Context, SendFlags, Socket, PAIR};
    use std::cell::Cell;

    /// A fake clock for `spin`: "expired" from its `limit`-th question on.
    fn budget(limit: usize, asked: &Cell<usize>) -> impl FnMut() -> bool + '_ {
        move || {
            asked.set(asked.get() + 1);
            asked.get() > limit
        }
    }

    #[test]
    fn spin_makes_exactly_as_many_attempts_as_the_bound_allows() {
        for limit in [0, 1, 7, 1000] {
            let (asked, attempts) = (Cell::new(0), Cell::new(0));
            let got: Option<Result<()>> = spin(
                || {
                    attempts.set(attempts.get() + 1);
                    Err(Error::EAGAIN)
                },
                budget(limit, &asked),
            );
            assert!(got.is_none());
            assert_eq!(attempts.get(), limit);
            assert_eq!(asked.get(), limit + 1, "asked once more, then stopped");
        }
    }

    #[test]
    fn spin_stops_at_the_first_non_eagain_result() {
        let (asked, attempts) = (Cell::new(0), Cell::new(0));
        let got = spin(
            || {
                attempts.set(attempts.get() + 1);
                if attempts.get() == 3 {
                    Err(Error::ETERM)
                } else {
                    Err::<(), _>(Error::EAGAIN)
                }
            },
            budget(100, &asked),
        );
        assert_eq!(got, Some(Err(Error::ETERM)));
        assert_eq!(attempts.get(), 3);
    }

    /// A message sent while the receiver spins (on its 5th try, by the fake
    /// clock, in the same thread) is the one the spin returns.
    #[test]
    fn spin_returns_a_message_that_arrives_during_the_spin() {
        let ctx = Context::new().unwrap();
        let (a, b) = (ctx.socket(PAIR).unwrap(), ctx.socket(PAIR).unwrap());
        b.bind("inproc://spin-unit").unwrap();
        a.connect("inproc://spin-unit").unwrap();
        let mut msg = Message::new();
        let (asked, attempts) = (Cell::new(0), Cell::new(0));
        let got = spin(
            || {
                attempts.set(attempts.get() + 1);
                if attempts.get() == 5 {
                    a.send("late", SendFlags::empty()).unwrap();
                }
                b.recv_msg(&mut msg, RecvFlags::DONTWAIT)
            },
            budget(1000, &asked),
        );
        assert_eq!(got, Some(Ok(4)));
        assert_eq!(&msg[..], b"late");
        assert_eq!(attempts.get(), 5, "taken on the try after the send");
    }

    /// A clock for `recv_msg_spin_clocked` that moves `step` per question and
    /// counts the questions.
    fn ticking(step: Duration, asked: &Cell<u32>) -> impl FnMut() -> Duration + '_ {
        move || {
            asked.set(asked.get() + 1);
            step * asked.get()
        }
    }

    fn pair(ctx: &Context, name: &str) -> (Socket, Socket) {
        let (a, b) = (ctx.socket(PAIR).unwrap(), ctx.socket(PAIR).unwrap());
        b.bind(name).unwrap();
        a.connect(name).unwrap();
        (a, b)
    }

    /// The spin asks the clock before each try and stops at the first answer
    /// past its bound: with a 1 µs tick and a 10 µs spin, 9 tries and 10
    /// questions, no more (RCVTIMEO is forever: no clock after it). What
    /// arrives after it (sent by another thread only once the spin is over) is
    /// received by the blocking receive.
    #[test]
    fn recv_spin_is_bounded_and_then_blocks() {
        let ctx = Context::new().unwrap();
        let (a, b) = pair(&ctx, "inproc://spin-after");
        let (spun_out, rx) = std::sync::mpsc::channel::<()>();
        let sender = std::thread::spawn(move || {
            // Bounded: sends anyway after a minute, and the counts below fail.
            let _ = rx.recv_timeout(Duration::from_secs(60));
            a.send("after", SendFlags::empty()).unwrap();
            a
        });
        let asked = Cell::new(0);
        let mut tick = ticking(Duration::from_micros(1), &asked);
        let mut msg = Message::new();
        let got = b.recv_msg_spin_clocked(&mut msg, Duration::from_micros(10), || {
            let t = tick();
            if t == Duration::from_micros(10) {
                spun_out.send(()).unwrap();
            }
            t
        });
        assert_eq!(got, Ok(5));
        assert_eq!(&msg[..], b"after");
        assert_eq!(asked.get(), 10);
        drop(sender.join().unwrap());
    }

    #[test]
    fn recv_spin_returns_a_message_sent_during_the_spin() {
        let ctx = Context::new().unwrap();
        let (a, b) = pair(&ctx, "inproc://spin-during");
        let asked = Cell::new(0);
        let mut tick = ticking(Duration::from_micros(1), &asked);
        let mut msg = Message::new();
        let got = b.recv_msg_spin_clocked(&mut msg, Duration::from_secs(3600), || {
            if asked.get() == 4 {
                a.send("during", SendFlags::empty()).unwrap();
            }
            tick()
        });
        assert_eq!(got, Ok(6));
        assert_eq!(&msg[..], b"during");
        assert_eq!(asked.get(), 5, "taken on the try after the send");
    }

    /// RCVTIMEO bounds the spin and the wait: 50 ms of timeout on a clock of
    /// 10 ms per question is 4 tries, then one non-waiting poll, then EAGAIN,
    /// however long the spin asked for.
    #[test]
    fn recv_spin_honours_rcvtimeo() {
        let ctx = Context::new().unwrap();
        let (_a, b) = pair(&ctx, "inproc://spin-timeo");
        b.set_rcvtimeo(50).unwrap();
        let asked = Cell::new(0);
        let mut msg = Message::new();
        let got = b.recv_msg_spin_clocked(
            &mut msg,
            Duration::from_secs(3600),
            ticking(Duration::from_millis(10), &asked),
        );
        assert_eq!(got, Err(Error::EAGAIN));
        assert_eq!(asked.get(), 6);

        // RCVTIMEO 0: never waits, never spins, never reads the clock.
        b.set_rcvtimeo(0).unwrap();
        let asked = Cell::new(0);
        let got = b.recv_msg_spin_clocked(
            &mut msg,
            Duration::from_secs(3600),
            ticking(Duration::from_millis(10), &asked),
        );
        assert_eq!(got, Err(Error::EAGAIN));
        assert_eq!(asked.get(), 0);
    }

    #[test]
    fn timeouts_bound_the_spin() {
        let s = Duration::from_secs(3600);
        assert_eq!(spin_within(s, -1), s);
        assert_eq!(spin_within(s, 0), Duration::ZERO);
        assert_eq!(spin_within(s, 250), Duration::from_millis(250));
        assert_eq!(
            spin_within(Duration::from_micros(5), 250),
            Duration::from_micros(5)
        );
        assert_eq!(ceil_ms(Duration::ZERO), 0);
        assert_eq!(ceil_ms(Duration::from_micros(1)), 1);
        assert_eq!(ceil_ms(Duration::from_millis(7)), 7);
        assert_eq!(ceil_ms(Duration::from_micros(7001)), 8);
        assert_eq!(ceil_ms(Duration::MAX), i64::MAX);
    }
}
