//! Timers (`zmq_timers_*`): firing order and counts, cancel, reset, set_interval,
//! timeout, panicking handlers, and the zguide-style reactor (`timeout` + `poll`).
//!
//! Timing assertions are one-sided where load could break them: a timer must never
//! fire before it is due, and must fire eventually (within generous deadlines).
#![forbid(unsafe_code)]

mod common;
use common::within;

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::thread;
use std::time::{Duration, Instant};

use zmq::{Context, Error, PollEvents, RecvFlags, SendFlags, TimerId, Timers, PULL, PUSH};

const LIMIT: Duration = Duration::from_secs(60);

/// libzmq's millisecond clock may lag by about a millisecond: the slack allowed when
/// checking that a timer did not fire early.
const SLACK: Duration = Duration::from_millis(3);

/// Sleeps until the next timer is due and runs the due handlers, until `done()` or
/// 10 s have passed (then the test fails).
fn run_until(timers: &mut Timers, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timers did not fire in 10 s");
        let wait = timers.timeout().expect("no timer left").min(50);
        thread::sleep(Duration::from_millis(wait as u64));
        timers.execute().unwrap();
    }
}

/// Runs the timers for `span`.
fn run_for(timers: &mut Timers, span: Duration) {
    let end = Instant::now() + span;
    run_until(timers, || Instant::now() >= end);
}

type Log = Rc<RefCell<Vec<(char, TimerId, Duration)>>>;

fn logger(log: &Log, name: char, start: Instant) -> impl FnMut(TimerId) + 'static {
    let log = Rc::clone(log);
    move |id| log.borrow_mut().push((name, id, start.elapsed()))
}

fn firings(log: &Log, name: char) -> Vec<Duration> {
    log.borrow()
        .iter()
        .filter(|(n, _, _)| *n == name)
        .map(|(_, _, at)| *at)
        .collect()
}

#[test]
fn timers_fire_in_order_never_early_and_with_their_own_id() {
    within(LIMIT, || {
        let log: Log = Rc::default();
        let start = Instant::now();
        let mut timers = Timers::new().unwrap();
        let a = timers.add(20, logger(&log, 'a', start)).unwrap();
        let b = timers.add(50, logger(&log, 'b', start)).unwrap();
        let c = timers.add(130, logger(&log, 'c', start)).unwrap();
        assert_eq!((a.raw(), b.raw(), c.raw()), (1, 2, 3));
        assert_eq!(timers.len(), 3);

        // Nothing is due yet, unless this thread was held up for 20 ms since `start`
        // (a loaded machine): checked when it was not.
        timers.execute().unwrap();
        if start.elapsed() + SLACK < Duration::from_millis(20) {
            assert!(log.borrow().is_empty());
        }

        // Until c has fired and a has repeated (a timer that never repeats fails
        // here, after 10 s). On a loaded machine one late `execute` may be the
        // first firing of all three.
        run_until(&mut timers, || {
            !firings(&log, 'c').is_empty() && firings(&log, 'a').len() >= 2
        });

        // First firings come in the order of the deadlines.
        let order: Vec<char> = {
            let mut seen = Vec::new();
            for (name, _, _) in log.borrow().iter() {
                if !seen.contains(name) {
                    seen.push(*name);
                }
            }
            seen
        };
        assert_eq!(order, ['a', 'b', 'c']);
        // Each handler got its own id.
        for (name, id, _) in log.borrow().iter() {
            let expected = match name {
                'a' => a,
                'b' => b,
                _ => c,
            };
            assert_eq!(*id, expected);
        }
        // The n-th firing of a timer comes no earlier than n intervals after it was
        // added: it is rescheduled from when it fired. (So a timer fires at most
        // as often as the time that passed allows, however late the loop ran.)
        for (name, interval) in [('a', 20), ('b', 50), ('c', 130)] {
            for (n, at) in firings(&log, name).iter().enumerate() {
                let due = Duration::from_millis(interval * (n as u64 + 1));
                assert!(*at + SLACK >= due, "{name} fired early: #{n} at {at:?}");
            }
        }
        // b (due before c) fired too.
        assert!(!firings(&log, 'b').is_empty(), "{:?}", log.borrow());
    });
}

#[test]
fn cancel_stops_one_timer_and_drops_its_handler() {
    within(LIMIT, || {
        let (a_count, b_count) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
        let mut timers = Timers::new().unwrap();
        let a = {
            let count = Rc::clone(&a_count);
            timers.add(10, move |_| count.set(count.get() + 1)).unwrap()
        };
        let b = {
            let count = Rc::clone(&b_count);
            timers.add(10, move |_| count.set(count.get() + 1)).unwrap()
        };
        run_until(&mut timers, || a_count.get() >= 2 && b_count.get() >= 2);

        timers.cancel(b).unwrap();
        // The handler (and what it owns) is dropped at once.
        assert_eq!(Rc::strong_count(&b_count), 1);
        assert_eq!(timers.len(), 1);
        let (a_before, b_before) = (a_count.get(), b_count.get());
        run_for(&mut timers, Duration::from_millis(100));
        assert_eq!(b_count.get(), b_before, "a cancelled timer fired");
        assert!(a_count.get() > a_before);

        // A cancelled id is unknown from now on.
        assert_eq!(timers.cancel(b), Err(Error::EINVAL));
        assert_eq!(timers.reset(b), Err(Error::EINVAL));
        assert_eq!(timers.set_interval(b, 10), Err(Error::EINVAL));

        timers.cancel(a).unwrap();
        assert!(timers.is_empty());
        assert_eq!(timers.timeout(), None);
        // Still usable.
        timers.execute().unwrap();
    });
}

#[test]
fn reset_postpones_a_timer_by_a_whole_interval() {
    within(LIMIT, || {
        const INTERVAL: Duration = Duration::from_millis(100);
        let fired: Rc<RefCell<Vec<Instant>>> = Rc::default();
        let mut timers = Timers::new().unwrap();
        let added = Instant::now();
        let id = {
            let fired = Rc::clone(&fired);
            timers
                .add(100, move |_| fired.borrow_mut().push(Instant::now()))
                .unwrap()
        };
        thread::sleep(Duration::from_millis(60));
        timers.execute().unwrap();
        // Not due yet, unless the sleep overran the interval (a loaded machine):
        // checked when it did not.
        if added.elapsed() + SLACK < INTERVAL {
            assert!(fired.borrow().is_empty(), "fired before its interval");
        }
        // The reset comes at least 60 ms after the timer was last scheduled (when
        // it was added, or when it fired above), so what is left of that interval
        // (40 ms at most) and a whole new one cannot be confused.
        let scheduled = fired.borrow().last().copied().unwrap_or(added);
        let gap = Duration::from_millis(60);
        if let Some(wait) = (scheduled + gap).checked_duration_since(Instant::now()) {
            thread::sleep(wait);
        }

        let reset_at = Instant::now();
        timers.reset(id).unwrap();
        // A whole interval from the reset, less the time these two calls took.
        let left = Duration::from_millis(timers.timeout().unwrap() as u64);
        let took = reset_at.elapsed();
        assert!(
            left + took + SLACK >= INTERVAL,
            "{left:?} left {took:?} after the reset"
        );
        let before = fired.borrow().len();
        run_until(&mut timers, || fired.borrow().len() > before);
        let after = fired.borrow()[before] - reset_at;
        assert!(after + SLACK >= INTERVAL, "fired {after:?} after the reset");
    });
}

#[test]
fn set_interval_changes_the_period_from_now() {
    within(LIMIT, || {
        let log: Log = Rc::default();
        let start = Instant::now();
        let mut timers = Timers::new().unwrap();
        let id = timers.add(100_000, logger(&log, 't', start)).unwrap();
        assert!(timers.timeout().unwrap() > 50_000);

        // Taken before the call, so that it is no later than the change.
        let changed = start.elapsed();
        timers.set_interval(id, 20).unwrap();
        assert!(timers.timeout().unwrap() <= 20);
        run_until(&mut timers, || firings(&log, 't').len() >= 3);
        let times = firings(&log, 't');
        // The new period applies from the change, to every later firing.
        for (n, at) in times.iter().enumerate() {
            let due = changed + Duration::from_millis(20 * (n as u64 + 1));
            assert!(*at + SLACK >= due, "#{n} at {at:?}, due {due:?}");
        }
        assert!(
            times[2] < Duration::from_secs(50),
            "the old interval still applied"
        );

        assert_eq!(timers.set_interval(id, 0), Err(Error::EINVAL));
        assert_eq!(timers.set_interval(id, u64::MAX), Err(Error::EINVAL));
    });
}

#[test]
fn timeout_tracks_the_next_deadline() {
    let mut timers = Timers::new().unwrap();
    assert_eq!(timers.timeout(), None);
    assert!(timers.is_empty());

    // A minute: never due during this test, however slowly it runs.
    let slow = timers.add(60_000, |_| {}).unwrap();
    let t1 = timers.timeout().unwrap();
    assert!((0..=60_000).contains(&t1), "{t1}");
    thread::sleep(Duration::from_millis(50));
    let t2 = timers.timeout().unwrap();
    assert!(t2 <= t1 && t2 <= 59_955, "{t1} then {t2}");

    // A sooner timer takes over.
    let fast = timers.add(30, |_| {}).unwrap();
    assert!(timers.timeout().unwrap() <= 30);

    // Once due, the timeout is 0 until the handlers run.
    thread::sleep(Duration::from_millis(40));
    assert_eq!(timers.timeout(), Some(0));
    timers.execute().unwrap();
    let t3 = timers.timeout().unwrap();
    assert!((0..=30).contains(&t3), "{t3}");

    // Cancelling the sooner one moves the timeout back to the slow one.
    timers.cancel(fast).unwrap();
    assert!(timers.timeout().unwrap() > 30);
    timers.cancel(slow).unwrap();
    assert_eq!(timers.timeout(), None);
}

#[test]
fn bad_intervals_and_foreign_ids_are_einval() {
    let token = Rc::new(());
    let mut timers = Timers::new().unwrap();
    for interval in [0, u64::MAX] {
        let held = Rc::clone(&token);
        let err = timers
            .add(interval, move |_| {
                let _held = &held;
            })
            .unwrap_err();
        assert_eq!(err, Error::EINVAL);
    }
    // The rejected handlers were dropped, not leaked.
    assert_eq!(Rc::strong_count(&token), 1);
    assert!(timers.is_empty());

    // Ids of another set name nothing here, even with the same number.
    let mut other = Timers::new().unwrap();
    let foreign = other.add(10, |_| {}).unwrap();
    let own = timers.add(10, |_| {}).unwrap();
    assert_eq!(foreign.raw(), own.raw());
    assert_ne!(foreign, own);
    assert_eq!(timers.cancel(foreign), Err(Error::EINVAL));
    assert_eq!(timers.reset(foreign), Err(Error::EINVAL));
    assert_eq!(timers.set_interval(foreign, 10), Err(Error::EINVAL));
    other.cancel(foreign).unwrap();
    timers.cancel(own).unwrap();
}

#[test]
fn dropping_timers_drops_their_handlers() {
    let token = Rc::new(());
    let mut timers = Timers::new().unwrap();
    for interval in [10, 20, 30] {
        let held = Rc::clone(&token);
        timers
            .add(interval, move |_| {
                let _held = &held;
            })
            .unwrap();
    }
    assert_eq!(Rc::strong_count(&token), 4);
    drop(timers);
    assert_eq!(Rc::strong_count(&token), 1);
}

#[test]
fn a_panicking_handler_panics_out_of_execute_and_timers_stay_usable() {
    within(LIMIT, || {
        let later = Rc::new(Cell::new(0));
        let mut timers = Timers::new().unwrap();
        let bomb = timers
            .add(1, |id| panic!("handler of timer {} failed", id.raw()))
            .unwrap();
        let counter = {
            let later = Rc::clone(&later);
            timers.add(10, move |_| later.set(later.get() + 1)).unwrap()
        };
        thread::sleep(Duration::from_millis(30));

        // Both are due; the first panics: the panic comes out of execute, with its
        // payload, and the handlers after it in this round are skipped.
        let payload = catch_unwind(AssertUnwindSafe(|| timers.execute())).unwrap_err();
        let message = payload
            .downcast_ref::<String>()
            .expect("the handler's own payload");
        assert_eq!(message, &format!("handler of timer {} failed", bomb.raw()));
        assert_eq!(later.get(), 0);

        // The set still works: without the bomb, the other timer fires.
        timers.cancel(bomb).unwrap();
        run_until(&mut timers, || later.get() >= 1);
        timers.cancel(counter).unwrap();
    });
}

/// The zguide reactor: one loop waits for sockets with `poll`, bounded by the next
/// timer's deadline, then runs the due timers. A heartbeat timer sends on a PUSH it
/// owns; a stop timer ends the loop.
#[test]
fn a_poll_loop_driven_by_timers_timeout() {
    within(LIMIT, || {
        let ctx = Context::new().unwrap();
        let pull = ctx.socket(PULL).unwrap();
        pull.bind("inproc://reactor").unwrap();
        let push = ctx.socket(PUSH).unwrap();
        push.connect("inproc://reactor").unwrap();

        // Before the timers are added, so that it is no later than either.
        let start = Instant::now();
        let mut timers = Timers::new().unwrap();
        let mut beat = 0;
        timers
            .add(20, move |_| {
                push.send(beat.to_string(), SendFlags::DONTWAIT).unwrap();
                beat += 1;
            })
            .unwrap();
        let stop = Rc::new(Cell::new(false));
        {
            let stop = Rc::clone(&stop);
            timers.add(250, move |_| stop.set(true)).unwrap();
        }

        let mut received = Vec::new();
        let mut rounds = 0;
        while !stop.get() {
            rounds += 1;
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the loop never stopped"
            );
            let mut items = [pull.as_poll_item(PollEvents::POLLIN)];
            let timeout = timers.timeout().unwrap_or(-1);
            assert!(timeout >= 0, "the timers are always armed here");
            zmq::poll(&mut items, timeout).unwrap();
            if items[0].is_readable() {
                while let Ok(msg) = pull.recv_bytes(RecvFlags::DONTWAIT) {
                    received.push(String::from_utf8(msg).unwrap());
                }
            }
            timers.execute().unwrap();
        }
        // Heartbeats sent before the stop arrive in order.
        while let Ok(msg) = pull.recv_bytes(RecvFlags::DONTWAIT) {
            received.push(String::from_utf8(msg).unwrap());
        }
        let expected: Vec<String> = (0..received.len()).map(|i| i.to_string()).collect();
        assert_eq!(received, expected);
        // At least one heartbeat (due long before the stop); never more than the
        // time that passed allows, one per 20 ms (they cannot fire early: 12 in
        // 250 ms, a few more only if the loop ran late); and the loop did not stop
        // before the stop timer was due.
        let elapsed = start.elapsed();
        assert!(!received.is_empty());
        assert!(
            Duration::from_millis(20) * received.len() as u32 <= elapsed + SLACK,
            "{} heartbeats in {elapsed:?}",
            received.len()
        );
        assert!(elapsed + SLACK >= Duration::from_millis(250));
        // The loop slept in poll instead of spinning.
        assert!(rounds < 200, "{rounds} rounds");
    });
}
