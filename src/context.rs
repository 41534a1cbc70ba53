//! The context (`zmq_ctx_*`): the container of a process's sockets and I/O threads.

use std::ffi::{c_int, c_void};
use std::fmt;
use std::ptr::NonNull;
use std::sync::{Arc, Mutex, PoisonError};

use crate::error::{cvt, cvt_ptr, Error, Result};
use crate::guard;
use crate::socket::{Socket, SocketType};

/// The owner of one `zmq_ctx_new` context. Dropped when the last [`Context`] clone
/// and the last [`Socket`] made from it are gone; that drop runs `zmq_ctx_term`,
/// exactly once, after every socket of the context has been closed (so it never
/// waits on a socket of ours).
struct RawContext {
    ptr: NonNull<c_void>,
    /// The `ZMQ_THREAD_SCHED_POLICY` and `ZMQ_THREAD_PRIORITY` set so far (libzmq
    /// has no getter for the priority), locked around the check and the setting of
    /// either, so that the pair libzmq will apply is the pair that was checked.
    thread_scheduling: Mutex<(c_int, c_int)>,
}

// SAFETY: a libzmq context is thread-safe: every zmq_ctx_* function and zmq_socket
// may be called on it from any thread at the same time (zmq_ctx_new(3)).
unsafe impl Send for RawContext {}
// SAFETY: as above; &RawContext only ever reaches libzmq's thread-safe entry points.
unsafe impl Sync for RawContext {}

impl RawContext {
    fn term(&mut self) -> Result<()> {
        loop {
            // SAFETY: self.ptr came from zmq_ctx_new and is terminated only here;
            // RawContext is dropped (or forgotten) right after, so it is never used again.
            match cvt(unsafe { zmq_sys::zmq_ctx_term(self.ptr.as_ptr()) }) {
                Err(Error::EINTR) => continue,
                other => return other.map(drop),
            }
        }
    }
}

impl Drop for RawContext {
    fn drop(&mut self) {
        // Errors other than EINTR (retried) can only mean a corrupt handle; there
        // is nobody to report them to in drop, and panicking here would abort.
        let _ = self.term();
    }
}

/// A ZeroMQ context (`zmq_ctx_new`): create sockets from it with [`Context::socket`].
///
/// `Context` is a cheap, thread-safe handle (`Send + Sync + Clone`): clone it into
/// every thread that makes sockets; `inproc://` endpoints are shared by the sockets
/// of one context. Every [`Socket`] keeps its context alive, so dropping the
/// `Context` before its sockets is fine: libzmq's `zmq_ctx_term` runs when the last
/// handle and the last socket are gone, and honours each socket's linger period.
///
/// **That last drop can block.** `zmq_ctx_term` waits until every closed socket's
/// queued messages are sent or its `ZMQ_LINGER` period ends, and the default linger
/// is -1 (for ever): a program whose peer is gone hangs in the drop. Give sockets a
/// finite linger ([`Socket::set_linger`]), or make it 0 for every new socket with
/// [`Context::set_blocky`]`(false)`. [`Context::term`] on the last handle does the
/// same wait and reports its error; on any other handle it only shuts the context
/// down (blocked calls return `ETERM`). Unlike rust-zmq's `destroy`, nothing can
/// terminate a context while a socket of it is alive.
///
/// ```
/// let ctx = zmq::Context::new()?;
/// let rep = ctx.socket(zmq::REP)?;
/// rep.bind("inproc://doc-context")?;
/// let req = ctx.socket(zmq::REQ)?;
/// req.connect("inproc://doc-context")?;
/// req.send("ping", zmq::SendFlags::empty())?;
/// assert_eq!(rep.recv_bytes(zmq::RecvFlags::empty())?, b"ping");
/// # Ok::<(), zmq::Error>(())
/// ```
#[derive(Clone)]
pub struct Context {
    raw: Arc<RawContext>,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("ptr", &self.raw.ptr)
            .finish()
    }
}

/// `true` when the optional macro fragment is there.
macro_rules! present {
    () => {
        false
    };
    ($x:ident) => {
        true
    };
}

/// The option table: `ZMQ_NAME: type, getter / setter, "doc";`, the getter or setter
/// left out when libzmq has none, with an optional `#[cfg(feature = "draft")]` marker
/// in front of the options of libzmq's draft API.
macro_rules! context_int_options {
    ($( $(#[cfg($cfg:meta)])? $opt:ident: $ty:ty, $($getter:ident)? / $($setter:ident)?, $doc:literal; )*) => {
        /// The context options of libzmq 4.3.5, as `(name, ZMQ_ constant, get, set)`
        /// (with the `draft` feature, the draft options too).
        pub const CONTEXT_OPTIONS: &[(&str, c_int, bool, bool)] = &[
            $( $(#[cfg($cfg)])? (stringify!($opt), zmq_sys::$opt, present!($($getter)?), present!($($setter)?)), )*
        ];

        $(
            // One impl block per option, so that its cfg marker covers both methods.
            $(#[cfg($cfg)])?
            $(#[cfg_attr(docsrs, doc(cfg($cfg)))])?
            impl Context {
                $(
                    #[doc = concat!("Reads `", stringify!($opt), "` (`zmq_ctx_get`): ", $doc)]
                    #[doc(alias = "zmq_ctx_get")]
                    pub fn $getter(&self) -> Result<$ty> {
                        self.get_raw(zmq_sys::$opt).map(<$ty as ContextValue>::from_c)
                    }
                )?
                $(
                    #[doc = concat!("Sets `", stringify!($opt), "` (`zmq_ctx_set`): ", $doc)]
                    #[doc = ""]
                    #[doc = "Values libzmq rejects give `EINVAL`."]
                    #[doc(alias = "zmq_ctx_set")]
                    pub fn $setter(&self, value: $ty) -> Result<()> {
                        self.set_raw(zmq_sys::$opt, value.to_c())
                    }
                )?
            }
        )*
    };
}

context_int_options! {
    ZMQ_IO_THREADS: i32, get_io_threads / set_io_threads, "The number of I/O threads (default 1); takes effect when the context makes its first socket. At most 1024, and no more than the process can open descriptors and start threads for (`RLIMIT_NOFILE`, `RLIMIT_NPROC`): `EINVAL` beyond, where libzmq would abort the process when it starts them.";
    ZMQ_MAX_SOCKETS: i32, get_max_sockets / set_max_sockets, "The maximum number of sockets (default 1023).";
    ZMQ_SOCKET_LIMIT: i32, get_socket_limit /, "The largest `ZMQ_MAX_SOCKETS` this build allows.";
    ZMQ_THREAD_PRIORITY: i32, / set_thread_priority, "The OS scheduling priority of the I/O threads: 1 to 99 under `SCHED_FIFO` or `SCHED_RR`; under other policies any value above 0 makes libzmq lower their nice value by 20. Checked with the policy set so far by applying both to a throwaway thread, as libzmq will apply them to its threads (where a failure aborts the process): `EINVAL` for a value the OS rejects, `EPERM` without the privilege (`CAP_SYS_NICE`, `RLIMIT_RTPRIO`, `RLIMIT_NICE`). Set the priority before a real-time policy.";
    ZMQ_THREAD_SCHED_POLICY: i32, get_thread_sched_policy / set_thread_sched_policy, "The OS scheduling policy of the I/O threads (`libc::SCHED_OTHER`, `SCHED_FIFO`, `SCHED_RR`, `SCHED_BATCH`, `SCHED_IDLE`). Checked with the priority set so far, as for `set_thread_priority`: `EINVAL` for a policy the OS rejects (or a real-time one without a priority of 1 to 99 set first), `EPERM` without the privilege.";
    ZMQ_MAX_MSGSZ: i32, get_max_msgsz / set_max_msgsz, "The largest message size the context accepts.";
    ZMQ_MSG_T_SIZE: i32, get_msg_t_size /, "`sizeof(zmq_msg_t)` as the linked library sees it (64).";
    ZMQ_THREAD_AFFINITY_CPU_ADD: i32, / add_thread_affinity_cpu, "Pins the I/O threads to this CPU (adds it to the affinity set). `EINVAL` for a CPU outside the process's own affinity set (Linux), which libzmq could not pin its threads to (it would abort).";
    ZMQ_THREAD_AFFINITY_CPU_REMOVE: i32, / remove_thread_affinity_cpu, "Removes a CPU from the affinity set (`EINVAL` if it was not in it).";
    ZMQ_THREAD_NAME_PREFIX: i32, get_thread_name_prefix / set_thread_name_prefix, "A numeric prefix for the names of the I/O threads.";
    ZMQ_IPV6: bool, get_ipv6 / set_ipv6, "Whether sockets made from now on use IPv6 (default false).";
    ZMQ_BLOCKY: bool, get_blocky / set_blocky, "Whether terminating the context waits for pending messages by default (default true; false makes the default linger of new sockets 0).";
    #[cfg(feature = "draft")]
    ZMQ_ZERO_COPY_RECV: bool, get_zero_copy_recv / set_zero_copy_recv, "Whether large received messages refer to libzmq's receive buffer instead of being copied out of it (default true; draft API). Takes effect for connections made later.";
}

/// The C representation (`int`) of a context option value.
trait ContextValue: Sized {
    fn from_c(value: c_int) -> Self;
    fn to_c(self) -> c_int;
}

impl ContextValue for i32 {
    fn from_c(value: c_int) -> i32 {
        value
    }
    fn to_c(self) -> c_int {
        self
    }
}

impl ContextValue for bool {
    fn from_c(value: c_int) -> bool {
        value != 0
    }
    fn to_c(self) -> c_int {
        c_int::from(self)
    }
}

impl Context {
    /// A new context (`zmq_ctx_new`). Fails only when the OS refuses resources
    /// (e.g. `EMFILE` when no file descriptor is left for its mailbox).
    #[doc(alias = "zmq_ctx_new")]
    pub fn new() -> Result<Context> {
        // SAFETY: zmq_ctx_new has no preconditions; it returns null on failure.
        let ptr = cvt_ptr(unsafe { zmq_sys::zmq_ctx_new() })?;
        Ok(Context {
            raw: Arc::new(RawContext {
                ptr,
                thread_scheduling: Mutex::new((guard::THREAD_DEFAULT, guard::THREAD_DEFAULT)),
            }),
        })
    }

    /// A new socket of this type in this context (`zmq_socket`). Fails with
    /// `ETERM` once the context was shut down, `EMFILE` past `max_sockets`.
    #[doc(alias = "zmq_socket")]
    pub fn socket(&self, socket_type: SocketType) -> Result<Socket> {
        Socket::new(self, socket_type)
    }

    /// Shuts the context down (`zmq_ctx_shutdown`): every blocking call on its
    /// sockets, in any thread, returns `ETERM`; new sockets cannot be made; the
    /// sockets must still be dropped. Idempotent.
    #[doc(alias = "zmq_ctx_shutdown")]
    pub fn shutdown(&self) -> Result<()> {
        // SAFETY: the pointer is a live context: this handle keeps RawContext alive.
        cvt(unsafe { zmq_sys::zmq_ctx_shutdown(self.as_raw()) }).map(drop)
    }

    /// Terminates the context (`zmq_ctx_term`), consuming this handle.
    ///
    /// If this is the last handle (no clone and no socket alive), the context is
    /// terminated now, waiting for pending messages as the sockets' linger periods
    /// allow, and its error is returned. Otherwise the context is shut down (see
    /// [`Context::shutdown`]: blocked calls elsewhere return `ETERM`) and the final
    /// `zmq_ctx_term` runs when the last socket or clone is dropped: unlike C, this
    /// call cannot wait for sockets other threads own, because they own the context
    /// too (that is what makes a use-after-term impossible).
    #[doc(alias = "zmq_ctx_term")]
    #[doc(alias = "zmq_ctx_destroy")]
    pub fn term(self) -> Result<()> {
        match Arc::try_unwrap(self.raw) {
            Ok(mut raw) => {
                let result = raw.term();
                // term() consumed the C context: running Drop would terminate it twice.
                std::mem::forget(raw);
                result
            }
            Err(shared) => {
                // SAFETY: `shared` keeps the context alive for this call.
                cvt(unsafe { zmq_sys::zmq_ctx_shutdown(shared.ptr.as_ptr()) }).map(drop)
            }
        }
    }

    /// Reads an integer context option by its `ZMQ_` number (`zmq_ctx_get`).
    ///
    /// `zmq_ctx_get` answers -1 both for an error and for an option whose value is -1
    /// (`ZMQ_THREAD_SCHED_POLICY` by default): errno tells them apart, as it is
    /// cleared first and set only on an error.
    #[doc(alias = "zmq_ctx_get")]
    pub fn get_raw(&self, option: c_int) -> Result<i32> {
        crate::error::clear_errno();
        // SAFETY: the pointer is a live context (kept alive by this handle).
        match unsafe { zmq_sys::zmq_ctx_get(self.as_raw(), option) } {
            -1 if Error::last().raw() == 0 => Ok(-1),
            rc => cvt(rc),
        }
    }

    /// Sets an integer context option by its `ZMQ_` number (`zmq_ctx_set`).
    ///
    /// The options libzmq applies later in its I/O threads, where a failure aborts
    /// the process, are checked as their typed setters check them (see
    /// [`Context::set_io_threads`], [`Context::set_thread_sched_policy`],
    /// [`Context::set_thread_priority`], [`Context::add_thread_affinity_cpu`]).
    #[doc(alias = "zmq_ctx_set")]
    pub fn set_raw(&self, option: c_int, value: i32) -> Result<()> {
        // Values libzmq itself rejects (negative ones) are left for it to reject.
        let checked = value >= 0;
        match option {
            zmq_sys::ZMQ_IO_THREADS if checked => guard::check_io_threads(value)?,
            zmq_sys::ZMQ_THREAD_AFFINITY_CPU_ADD if checked => guard::check_affinity_cpu(value)?,
            zmq_sys::ZMQ_THREAD_SCHED_POLICY | zmq_sys::ZMQ_THREAD_PRIORITY if checked => {
                let mut scheduling = self
                    .raw
                    .thread_scheduling
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                let (mut policy, mut priority) = *scheduling;
                if option == zmq_sys::ZMQ_THREAD_PRIORITY {
                    priority = value;
                } else {
                    policy = value;
                }
                guard::check_scheduling(policy, priority)?;
                self.set_raw_unchecked(option, value)?;
                *scheduling = (policy, priority);
                return Ok(());
            }
            _ => {}
        }
        self.set_raw_unchecked(option, value)
    }

    fn set_raw_unchecked(&self, option: c_int, value: i32) -> Result<()> {
        // SAFETY: the pointer is a live context (kept alive by this handle).
        cvt(unsafe { zmq_sys::zmq_ctx_set(self.as_raw(), option, value) }).map(drop)
    }

    /// The raw `void *` context, for calling `zmq_sys` directly. It stays valid as
    /// long as this handle (or a clone, or a socket of the context) lives.
    pub fn as_raw(&self) -> *mut c_void {
        self.raw.ptr.as_ptr()
    }

    /// Whether two handles refer to the same context.
    pub fn same_context(&self, other: &Context) -> bool {
        Arc::ptr_eq(&self.raw, &other.raw)
    }
}

/// The longest thread name prefix libzmq accepts as a string (`ZMQ_THREAD_NAME_PREFIX`
/// through `zmq_ctx_set_ext`), in bytes: Linux thread names hold 15 bytes.
#[cfg(feature = "draft")]
const THREAD_NAME_PREFIX_MAX: usize = 16;

/// Context options that only the draft API's `zmq_ctx_set_ext` / `zmq_ctx_get_ext`
/// can reach.
#[cfg(feature = "draft")]
#[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
impl Context {
    /// Sets `ZMQ_THREAD_NAME_PREFIX` as text (`zmq_ctx_set_ext`, draft API): the I/O
    /// threads started from now on (when the first socket is made) are named
    /// `"<prefix>/ZMQbg/..."`, cut to the 15 bytes Linux keeps. 1 to 16 bytes, no
    /// NUL byte, else `EINVAL`. [`Context::set_thread_name_prefix`] sets a number.
    ///
    /// ```
    /// let ctx = zmq::Context::new()?;
    /// ctx.set_thread_name_prefix_str("app")?;
    /// assert_eq!(ctx.get_thread_name_prefix_str()?, "app");
    /// assert_eq!(ctx.set_thread_name_prefix_str(""), Err(zmq::Error::EINVAL));
    /// # Ok::<(), zmq::Error>(())
    /// ```
    #[doc(alias = "zmq_ctx_set_ext")]
    #[doc(alias = "ZMQ_THREAD_NAME_PREFIX")]
    pub fn set_thread_name_prefix_str(&self, prefix: &str) -> Result<()> {
        let bytes = prefix.as_bytes();
        if bytes.is_empty() || bytes.len() > THREAD_NAME_PREFIX_MAX || bytes.contains(&0) {
            return Err(Error::EINVAL);
        }
        // libzmq takes a value of exactly sizeof(int) bytes for an int, whatever the
        // option: a 4-byte prefix is passed with a NUL after it, which libzmq keeps at
        // the end of its string and which ends the name where it is used (as a C
        // string) and where `get_thread_name_prefix_str` reads it back.
        let mut value = [0u8; THREAD_NAME_PREFIX_MAX];
        value[..bytes.len()].copy_from_slice(bytes);
        let len = if bytes.len() == std::mem::size_of::<c_int>() {
            bytes.len() + 1
        } else {
            bytes.len()
        };
        // SAFETY: the context is live (this handle keeps it alive); `value` holds
        // `len` (<= 16) readable bytes, which libzmq copies.
        cvt(unsafe {
            zmq_sys::zmq_ctx_set_ext(
                self.as_raw(),
                zmq_sys::ZMQ_THREAD_NAME_PREFIX,
                value.as_ptr().cast(),
                len,
            )
        })
        .map(drop)
    }

    /// Reads `ZMQ_THREAD_NAME_PREFIX` as text (`zmq_ctx_get_ext`, draft API): the
    /// prefix set by [`Context::set_thread_name_prefix_str`], or the decimal digits of
    /// one set by [`Context::set_thread_name_prefix`]; empty when none was set.
    /// `EILSEQ` if it is not UTF-8 (only possible through `zmq_sys`).
    #[doc(alias = "zmq_ctx_get_ext")]
    #[doc(alias = "ZMQ_THREAD_NAME_PREFIX")]
    pub fn get_thread_name_prefix_str(&self) -> Result<String> {
        // libzmq copies the prefix without a NUL and does not report its length, so
        // the buffer starts zeroed and the prefix ends at the first NUL. Any size
        // other than sizeof(int) asks for the text; 64 bytes hold every prefix
        // libzmq accepts (16 bytes of text, or an int's 11 digits).
        let mut buf = [0u8; 64];
        let mut len = buf.len();
        // SAFETY: the context is live; `buf`/`len` describe 64 writable bytes, and
        // libzmq writes at most `len` of them.
        cvt(unsafe {
            zmq_sys::zmq_ctx_get_ext(
                self.as_raw(),
                zmq_sys::ZMQ_THREAD_NAME_PREFIX,
                buf.as_mut_ptr().cast(),
                &mut len,
            )
        })?;
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        String::from_utf8(buf[..end].to_vec()).map_err(|_| Error::EILSEQ)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_round_trip() {
        let ctx = Context::new().unwrap();
        assert_eq!(ctx.get_io_threads().unwrap(), 1);
        ctx.set_io_threads(2).unwrap();
        assert_eq!(ctx.get_io_threads().unwrap(), 2);
        ctx.set_max_sockets(64).unwrap();
        assert_eq!(ctx.get_max_sockets().unwrap(), 64);
        assert!(ctx.get_socket_limit().unwrap() >= 1023);
        assert_eq!(ctx.get_msg_t_size().unwrap(), 64);
        ctx.set_ipv6(true).unwrap();
        assert!(ctx.get_ipv6().unwrap());
        ctx.set_blocky(false).unwrap();
        assert!(!ctx.get_blocky().unwrap());
        ctx.set_max_msgsz(4096).unwrap();
        assert_eq!(ctx.get_max_msgsz().unwrap(), 4096);
        ctx.set_thread_name_prefix(42).unwrap();
        assert_eq!(ctx.get_thread_name_prefix().unwrap(), 42);
        ctx.add_thread_affinity_cpu(0).unwrap();
        ctx.remove_thread_affinity_cpu(0).unwrap();
        assert_eq!(
            ctx.remove_thread_affinity_cpu(0).unwrap_err(),
            Error::EINVAL
        );
    }

    #[cfg(feature = "draft")]
    #[test]
    fn text_thread_name_prefix_of_int_size_stays_text() {
        let ctx = Context::new().unwrap();
        ctx.set_thread_name_prefix_str("wxyz").unwrap();
        assert_eq!(ctx.get_thread_name_prefix_str().unwrap(), "wxyz");
        // libzmq's numeric view of a text prefix is atoi's.
        assert_eq!(ctx.get_thread_name_prefix().unwrap(), 0);
        assert_eq!(
            ctx.set_thread_name_prefix_str(&"x".repeat(THREAD_NAME_PREFIX_MAX + 1))
                .unwrap_err(),
            Error::EINVAL
        );
    }

    #[cfg(feature = "draft")]
    #[test]
    fn zero_copy_recv_round_trips() {
        let ctx = Context::new().unwrap();
        assert!(ctx.get_zero_copy_recv().unwrap());
        ctx.set_zero_copy_recv(false).unwrap();
        assert!(!ctx.get_zero_copy_recv().unwrap());
    }

    #[test]
    fn out_of_range_values_are_einval() {
        let ctx = Context::new().unwrap();
        assert_eq!(ctx.set_io_threads(-1).unwrap_err(), Error::EINVAL);
        assert_eq!(ctx.set_max_sockets(0).unwrap_err(), Error::EINVAL);
        assert_eq!(ctx.set_raw(9999, 1).unwrap_err(), Error::EINVAL);
        assert_eq!(ctx.get_raw(9999).unwrap_err(), Error::EINVAL);
    }

    #[test]
    fn option_table_lists_access() {
        let io = CONTEXT_OPTIONS
            .iter()
            .find(|o| o.0 == "ZMQ_IO_THREADS")
            .unwrap();
        assert_eq!((io.1, io.2, io.3), (zmq_sys::ZMQ_IO_THREADS, true, true));
        let limit = CONTEXT_OPTIONS
            .iter()
            .find(|o| o.0 == "ZMQ_SOCKET_LIMIT")
            .unwrap();
        assert_eq!((limit.2, limit.3), (true, false));
        let blocky = CONTEXT_OPTIONS
            .iter()
            .find(|o| o.0 == "ZMQ_BLOCKY")
            .unwrap();
        assert_eq!(
            (blocky.1, blocky.2, blocky.3),
            (zmq_sys::ZMQ_BLOCKY, true, true)
        );
        let names: std::collections::HashSet<_> = CONTEXT_OPTIONS.iter().map(|o| o.0).collect();
        assert_eq!(names.len(), CONTEXT_OPTIONS.len());
    }

    #[test]
    fn term_with_a_live_socket_shuts_down_and_later_drop_terminates() {
        let ctx = Context::new().unwrap();
        let sock = ctx.socket(SocketType::Pull).unwrap();
        let other = ctx.clone();
        ctx.term().unwrap();
        // The context is shut down: no new sockets, blocking calls give ETERM.
        assert_eq!(other.socket(SocketType::Push).unwrap_err(), Error::ETERM);
        assert_eq!(
            sock.recv_bytes(crate::RecvFlags::empty()).unwrap_err(),
            Error::ETERM
        );
        drop(sock);
        // The last handle terminates for real.
        other.term().unwrap();
    }
}
