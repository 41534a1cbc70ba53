//! Per-call overhead of the binding against the same libzmq calls made raw
//! (`zmq::sys`, i.e. zmq-sys: the very library the binding links).
//!
//! Every group has a `binding` function and a `raw_c` baseline (with the same
//! parameter, when there is one), so each group shows binding/raw:
//!
//! ```sh
//! cargo bench -p zmq-perf                 # criterion, all groups (~3 minutes)
//! cargo bench -p zmq-perf -- msg_         # only the message groups
//! python3 perf/bench_ratios.py            # ratio table of the last criterion run
//! perf/callgrind_micro.sh                 # instructions per call, under callgrind
//! ```
//!
//! Wall-clock timings need a quiet machine; the instruction counts of
//! `perf/callgrind_micro.sh` (which runs this binary with
//! `ZMQ_PERF_COUNT=<group>/<function>[/<param>]:<iterations>`: that operation
//! only, that many times, no criterion) do not.
//!
//! The raw side needs `unsafe`; each block says why it is sound. The binding side
//! uses the safe API only.

use std::ffi::{c_int, c_void};
use std::hint::black_box;
use std::mem::MaybeUninit;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use zmq::sys;
use zmq::{Context, Message, RecvFlags, SendFlags, Socket, PAIR};

fn check(rc: c_int, what: &str) -> c_int {
    assert!(rc != -1, "{what} failed: {}", zmq::Error::last());
    rc
}

/// A raw `zmq_msg_t` that stays initialised for its whole life (closed on drop).
struct RawMsg(MaybeUninit<sys::zmq_msg_t>);

impl RawMsg {
    fn with_size(size: usize, byte: u8) -> RawMsg {
        let mut m = RawMsg(MaybeUninit::uninit());
        // SAFETY: zmq_msg_init_size initialises the message (checked) with `size`
        // writable bytes at zmq_msg_data, all of which are then written.
        unsafe {
            check(sys::zmq_msg_init_size(m.ptr(), size), "zmq_msg_init_size");
            std::ptr::write_bytes(sys::zmq_msg_data(m.ptr()).cast::<u8>(), byte, size);
        }
        m
    }

    fn ptr(&mut self) -> *mut sys::zmq_msg_t {
        self.0.as_mut_ptr()
    }
}

impl Drop for RawMsg {
    fn drop(&mut self) {
        // SAFETY: initialised by with_size and closed only here.
        unsafe { sys::zmq_msg_close(self.ptr()) };
    }
}

/// What the operations share: two connected inproc PAIR sockets (send and
/// receive on one thread, no I/O thread involved), an unconnected socket for the
/// options (setting ZMQ_SNDHWM on a connected socket also queues a command to
/// each peer, which would make the cost grow with the run), and a tcp socket
/// bound to a free port (for ZMQ_LAST_ENDPOINT). Waits are bounded, so a broken
/// build fails instead of hanging.
struct Fixture {
    a: Socket,
    b: Socket,
    opt: Socket,
    tcp: Socket,
    _ctx: Context,
}

impl Fixture {
    fn new() -> Fixture {
        let ctx = Context::new().expect("zmq_ctx_new");
        let a = ctx.socket(PAIR).expect("zmq_socket");
        let b = ctx.socket(PAIR).expect("zmq_socket");
        for s in [&a, &b] {
            s.set_rcvtimeo(5000).expect("ZMQ_RCVTIMEO");
            s.set_sndtimeo(5000).expect("ZMQ_SNDTIMEO");
        }
        a.bind("inproc://bench-overhead").expect("zmq_bind");
        b.connect("inproc://bench-overhead").expect("zmq_connect");
        let opt = ctx.socket(PAIR).expect("zmq_socket");
        let tcp = ctx.socket(PAIR).expect("zmq_socket");
        tcp.bind("tcp://127.0.0.1:*").expect("zmq_bind");
        Fixture {
            a,
            b,
            opt,
            tcp,
            _ctx: ctx,
        }
    }
}

/// One benchmarked operation: group, parameter, function (`binding...` or
/// `raw_c...`), and the body of one iteration.
struct Op<'f> {
    group: &'static str,
    param: Option<usize>,
    function: &'static str,
    run: Box<dyn FnMut() + 'f>,
}

impl Op<'_> {
    fn id(&self) -> String {
        match self.param {
            Some(p) => format!("{}/{}/{p}", self.group, self.function),
            None => format!("{}/{}", self.group, self.function),
        }
    }
}

fn op<'f>(
    group: &'static str,
    param: Option<usize>,
    function: &'static str,
    run: impl FnMut() + 'f,
) -> Op<'f> {
    Op {
        group,
        param,
        function,
        run: Box::new(run),
    }
}

const WRITER_SIZES: [usize; 3] = [1, 1024, 65536];

/// The free function of the raw zero-copy baseline: `hint` is the Vec's capacity.
extern "C" fn free_vec(data: *mut c_void, hint: *mut c_void) {
    // SAFETY: `data` and `hint` are the pointer and capacity of a Vec<u8> leaked by
    // the raw msg_from_vec operation, handed to zmq_msg_init_data, which calls
    // this once.
    drop(unsafe { Vec::from_raw_parts(data.cast::<u8>(), 0, hint as usize) });
}

// ------------------------------------------------------------ messages ---

fn message_ops<'f>(ops: &mut Vec<Op<'f>>) {
    ops.push(op("msg_new", None, "binding", || {
        drop(black_box(Message::new()))
    }));
    ops.push(op("msg_new", None, "raw_c", || {
        let mut m = MaybeUninit::<sys::zmq_msg_t>::uninit();
        // SAFETY: zmq_msg_init initialises the zmq_msg_t it is given; closed
        // once, right after.
        unsafe {
            sys::zmq_msg_init(m.as_mut_ptr());
            black_box(&mut m);
            sys::zmq_msg_close(m.as_mut_ptr());
        }
    }));

    let data = [0x42u8; 8];
    ops.push(op("msg_from_slice", Some(8), "binding", move || {
        drop(black_box(Message::from(black_box(&data[..]))))
    }));
    ops.push(op("msg_from_slice", Some(8), "raw_c", move || {
        let src = black_box(&data[..]);
        let mut m = MaybeUninit::<sys::zmq_msg_t>::uninit();
        // SAFETY: zmq_msg_init_size(len) initialises the message with `len`
        // writable bytes at zmq_msg_data (checked); `src` has `len` readable
        // bytes that do not overlap them; closed once.
        unsafe {
            check(
                sys::zmq_msg_init_size(m.as_mut_ptr(), src.len()),
                "zmq_msg_init_size",
            );
            let dst = sys::zmq_msg_data(m.as_mut_ptr()).cast::<u8>();
            std::ptr::copy_nonoverlapping(src.as_ptr(), dst, src.len());
            black_box(&mut m);
            sys::zmq_msg_close(m.as_mut_ptr());
        }
    }));

    // Message::from_writer + put_bytes, and Message::rebuild (the same into one
    // reused Message, as C reuses one zmq_msg_t), against C's zmq_msg_init_size
    // + memset (zmq_msg_data (..)) + zmq_msg_close; with_size (zero-filled, the
    // same calls) for reference.
    for size in WRITER_SIZES {
        ops.push(op("msg_from_writer", Some(size), "binding", move || {
            let m = Message::from_writer(black_box(size), |w| w.put_bytes(0x5A, size));
            drop(black_box(m))
        }));
        let mut reused = Message::new();
        ops.push(op(
            "msg_from_writer",
            Some(size),
            "binding_rebuild",
            move || {
                reused
                    .rebuild(black_box(size), |w| w.put_bytes(0x5A, size))
                    .expect("rebuild");
                black_box(&mut reused);
            },
        ));
        ops.push(op("msg_from_writer", Some(size), "with_size", move || {
            drop(black_box(Message::with_size(black_box(size))))
        }));
        ops.push(op("msg_from_writer", Some(size), "raw_c", move || {
            let size = black_box(size);
            let mut m = MaybeUninit::<sys::zmq_msg_t>::uninit();
            // SAFETY: `size` writable bytes at zmq_msg_data after a successful
            // zmq_msg_init_size; closed once.
            unsafe {
                check(
                    sys::zmq_msg_init_size(m.as_mut_ptr(), size),
                    "zmq_msg_init_size",
                );
                let dst = sys::zmq_msg_data(m.as_mut_ptr()).cast::<u8>();
                std::ptr::write_bytes(dst, 0x5A, size);
                black_box(&mut m);
                sys::zmq_msg_close(m.as_mut_ptr());
            }
        }));
    }

    // Zero-copy construction from an owned 1 KiB buffer (above the 32 bytes
    // that are copied inline instead), and its release (libzmq calls the free
    // function). Making the buffer is part of both sides.
    const LEN: usize = 1024;
    ops.push(op("msg_from_vec", Some(LEN), "binding", || {
        drop(black_box(Message::from(vec![1u8; LEN])))
    }));
    ops.push(op("msg_from_vec", Some(LEN), "raw_c", || {
        let mut v = std::mem::ManuallyDrop::new(vec![1u8; LEN]);
        let (ptr, len, cap) = (v.as_mut_ptr(), v.len(), v.capacity());
        let mut m = MaybeUninit::<sys::zmq_msg_t>::uninit();
        // SAFETY: ptr/len are the leaked Vec's initialised bytes; libzmq calls
        // free_vec(ptr, cap) once when the message is closed (just after), which
        // rebuilds and frees the Vec.
        unsafe {
            check(
                sys::zmq_msg_init_data(
                    m.as_mut_ptr(),
                    ptr.cast(),
                    len,
                    Some(free_vec),
                    cap as *mut c_void,
                ),
                "zmq_msg_init_data",
            );
            black_box(&mut m);
            sys::zmq_msg_close(m.as_mut_ptr());
        }
    }));
}

// ------------------------------------------------------ send + receive ---

/// One message from `a` to `b` and back per iteration.
fn send_recv_ops<'f>(fx: &'f Fixture, ops: &mut Vec<Op<'f>>) {
    let (a, b) = (&fx.a, &fx.b);
    let (ra, rb) = (a.as_raw(), b.as_raw());
    for size in [1usize, 1024] {
        // Copying send/receive: Socket::send / recv_into, zmq_send / zmq_recv.
        let payload = vec![0x33u8; size];
        let mut buf = vec![0u8; size];
        ops.push(op(
            "send_recv_inproc_pair",
            Some(size),
            "binding",
            move || {
                a.send(&payload[..], SendFlags::empty()).expect("send");
                let n = b.recv_into(&mut buf, RecvFlags::empty()).expect("recv");
                b.send(&buf[..n], SendFlags::empty()).expect("send");
                black_box(a.recv_into(&mut buf, RecvFlags::empty()).expect("recv"));
            },
        ));
        let payload = vec![0x33u8; size];
        let mut buf = vec![0u8; size];
        ops.push(op(
            "send_recv_inproc_pair",
            Some(size),
            "raw_c",
            move || {
                // SAFETY: ra/rb are live sockets (the fixture outlives the
                // operations) used from one thread; the buffers have the lengths
                // passed, and zmq_recv writes at most buf.len() bytes.
                unsafe {
                    check(
                        sys::zmq_send(ra, payload.as_ptr().cast(), size, 0),
                        "zmq_send",
                    );
                    let n = check(
                        sys::zmq_recv(rb, buf.as_mut_ptr().cast(), buf.len(), 0),
                        "zmq_recv",
                    );
                    check(
                        sys::zmq_send(rb, buf.as_ptr().cast(), n as usize, 0),
                        "zmq_send",
                    );
                    black_box(check(
                        sys::zmq_recv(ra, buf.as_mut_ptr().cast(), buf.len(), 0),
                        "zmq_recv",
                    ));
                }
            },
        ));
        // Message send/receive: one message bounces (send_msg / recv_msg into the
        // same Message; zmq_msg_send / zmq_msg_recv).
        let mut msg = Message::from(vec![0x33u8; size]);
        ops.push(op(
            "send_recv_inproc_pair",
            Some(size),
            "binding_msg",
            move || {
                a.send_msg(&mut msg, SendFlags::empty()).expect("send_msg");
                b.recv_msg(&mut msg, RecvFlags::empty()).expect("recv_msg");
                b.send_msg(&mut msg, SendFlags::empty()).expect("send_msg");
                black_box(a.recv_msg(&mut msg, RecvFlags::empty()).expect("recv_msg"));
            },
        ));
        // The same with the spinning receive (the message is always there: the
        // first non-blocking try takes it, so this measures what the opt-in
        // costs when it does not spin).
        let mut msg = Message::from(vec![0x33u8; size]);
        ops.push(op(
            "send_recv_inproc_pair",
            Some(size),
            "binding_msg_spin",
            move || {
                let spin = Duration::from_micros(50);
                a.send_msg(&mut msg, SendFlags::empty()).expect("send_msg");
                b.recv_msg_spin(&mut msg, spin).expect("recv_msg_spin");
                b.send_msg(&mut msg, SendFlags::empty()).expect("send_msg");
                black_box(a.recv_msg_spin(&mut msg, spin).expect("recv_msg_spin"));
            },
        ));
        let mut m = RawMsg::with_size(size, 0x33);
        ops.push(op(
            "send_recv_inproc_pair",
            Some(size),
            "raw_c_msg",
            move || {
                // SAFETY: live sockets as above and an initialised message that each
                // send empties and each receive refills.
                unsafe {
                    check(sys::zmq_msg_send(m.ptr(), ra, 0), "zmq_msg_send");
                    check(sys::zmq_msg_recv(m.ptr(), rb, 0), "zmq_msg_recv");
                    check(sys::zmq_msg_send(m.ptr(), rb, 0), "zmq_msg_send");
                    black_box(check(sys::zmq_msg_recv(m.ptr(), ra, 0), "zmq_msg_recv"));
                }
            },
        ));
    }
}

// ------------------------------------------------------------- options ---

/// `zmq_getsockopt` of a C int.
///
/// # Safety
/// `s` must be a live socket and `option` an int-valued option.
unsafe fn raw_get_int(s: *mut c_void, option: c_int) -> c_int {
    let mut v: c_int = 0;
    let mut len = std::mem::size_of::<c_int>();
    // SAFETY: v/len describe a writable c_int; the caller vouches for s and option.
    check(
        unsafe { sys::zmq_getsockopt(s, option, (&mut v as *mut c_int).cast(), &mut len) },
        "zmq_getsockopt",
    );
    v
}

fn option_ops<'f>(fx: &'f Fixture, ops: &mut Vec<Op<'f>>) {
    let (a, tcp) = (&fx.opt, &fx.tcp);
    let (ra, rt) = (a.as_raw(), tcp.as_raw());

    ops.push(op("opt_get_rcvmore", None, "binding", move || {
        black_box(a.get_rcvmore().expect("get"));
    }));
    ops.push(op("opt_get_rcvmore", None, "raw_c", move || {
        // SAFETY: live socket, int-valued option.
        black_box(unsafe { raw_get_int(ra, sys::ZMQ_RCVMORE) });
    }));
    ops.push(op("opt_get_events", None, "binding", move || {
        black_box(a.get_events().expect("get"));
    }));
    ops.push(op("opt_get_events", None, "raw_c", move || {
        // SAFETY: live socket, int-valued option.
        black_box(unsafe { raw_get_int(ra, sys::ZMQ_EVENTS) });
    }));
    ops.push(op("opt_set_sndhwm", None, "binding", move || {
        a.set_sndhwm(black_box(1000)).expect("set")
    }));
    ops.push(op("opt_set_sndhwm", None, "raw_c", move || {
        let v: c_int = black_box(1000);
        // SAFETY: live socket; v is a readable c_int of the size passed.
        let rc = unsafe {
            sys::zmq_setsockopt(
                ra,
                sys::ZMQ_SNDHWM,
                (&v as *const c_int).cast(),
                std::mem::size_of::<c_int>(),
            )
        };
        check(rc, "zmq_setsockopt");
    }));
    // The binding returns an owned String; the raw side reads into a stack buffer.
    ops.push(op("opt_get_last_endpoint", None, "binding", move || {
        black_box(tcp.get_last_endpoint().expect("get"));
    }));
    ops.push(op("opt_get_last_endpoint", None, "raw_c", move || {
        let mut buf = [0u8; 256];
        let mut len = buf.len();
        // SAFETY: live socket; buf/len describe a writable buffer.
        let rc = unsafe {
            sys::zmq_getsockopt(
                rt,
                sys::ZMQ_LAST_ENDPOINT,
                buf.as_mut_ptr().cast(),
                &mut len,
            )
        };
        check(rc, "zmq_getsockopt");
        black_box((buf, len));
    }));
}

fn all_ops(fx: &Fixture) -> Vec<Op<'_>> {
    let mut ops = Vec::new();
    message_ops(&mut ops);
    send_recv_ops(fx, &mut ops);
    option_ops(fx, &mut ops);
    ops
}

/// `ZMQ_PERF_COUNT=<id>:<n>`: runs operation `<id>` n times (for callgrind);
/// `ZMQ_PERF_COUNT=list` prints the ids.
fn count_mode(spec: &str) {
    let fx = Fixture::new();
    let mut ops = all_ops(&fx);
    if spec == "list" {
        for o in &ops {
            println!("{}", o.id());
        }
        return;
    }
    let (id, n) = spec
        .rsplit_once(':')
        .expect("ZMQ_PERF_COUNT=<group>/<function>[/<param>]:<iterations>");
    let n: u64 = n.parse().expect("iterations");
    let o = ops
        .iter_mut()
        .find(|o| o.id() == id)
        .unwrap_or_else(|| panic!("no operation {id:?} (ZMQ_PERF_COUNT=list)"));
    for _ in 0..n {
        (o.run)();
    }
}

fn main() {
    if let Ok(spec) = std::env::var("ZMQ_PERF_COUNT") {
        count_mode(&spec);
        return;
    }
    // Short runs: the ratios, not the absolute figures, are the point, and the
    // machines this runs on are shared.
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
        .configure_from_args();
    let fx = Fixture::new();
    let mut ops = all_ops(&fx);
    let mut i = 0;
    while i < ops.len() {
        let group = ops[i].group;
        let mut g = c.benchmark_group(group);
        while i < ops.len() && ops[i].group == group {
            let o = &mut ops[i];
            let run = &mut o.run;
            let routine = |b: &mut criterion::Bencher<'_>| b.iter(&mut *run);
            match o.param {
                Some(p) => g.bench_function(BenchmarkId::new(o.function, p), routine),
                None => g.bench_function(o.function, routine),
            };
            i += 1;
        }
        g.finish();
    }
    c.final_summary();
}
