//! Tries, at the moment an option is set, the OS calls libzmq will make with it later
//! in an I/O thread, where a failure is an assertion that aborts the process.
//!
//! libzmq accepts these values when they are set and applies them afterwards: the
//! context's thread options when its I/O threads start (`thread.cpp`,
//! `applySchedulingParameters`, `posix_assert` / `errno_assert`), a socket's
//! `ZMQ_PRIORITY` and `ZMQ_TOS` on each of its TCP connections (`ip.cpp`,
//! `set_socket_priority` and `set_ip_type_of_service`, `errno_assert`). A probe makes
//! the same calls on a throwaway thread or socket and turns their failure into the
//! setter's error. What a probe cannot see (a privilege dropped between the setter and
//! the start of the threads, a cgroup limit) is listed in SECURITY.md.

use std::ffi::c_int;

use crate::error::{Error, Result};

/// `ZMQ_THREAD_SCHED_POLICY_DFLT` and `ZMQ_THREAD_PRIORITY_DFLT` (zmq.h): leave the
/// inherited value alone.
pub(crate) const THREAD_DEFAULT: c_int = -1;

/// The most I/O threads a context may be given. Each is an OS thread with a stack, an
/// epoll descriptor and a mailbox; libzmq aborts the process when it cannot create one
/// (`thread.cpp`, `posix_assert` on `pthread_create`). No workload needs more (libzmq
/// suggests one thread per gigabyte per second of data).
pub(crate) const MAX_IO_THREADS: c_int = 1024;

/// Checks `ZMQ_IO_THREADS`: `EINVAL` above [`MAX_IO_THREADS`], or when the process
/// could not open the descriptors they need (an epoll descriptor and a mailbox
/// each, as for the reaper thread, plus the context's own mailbox), or start that many
/// threads under `RLIMIT_NPROC`. Negative values are left to libzmq (`EINVAL`).
pub(crate) fn check_io_threads(threads: c_int) -> Result<()> {
    if threads > MAX_IO_THREADS {
        return Err(Error::EINVAL);
    }
    #[cfg(unix)]
    if threads > 0 {
        // A mailbox is one eventfd, or two descriptors of a socketpair without it.
        let descriptors = 3 * (u64::try_from(threads).unwrap_or(0) + 1) + 2;
        if let Some(free) = free_descriptors() {
            if descriptors > free {
                return Err(Error::EINVAL);
            }
        }
        if let Some(free) = free_threads() {
            if u64::try_from(threads).unwrap_or(0) + 1 > free {
                return Err(Error::EINVAL);
            }
        }
    }
    Ok(())
}

/// How many more descriptors the process may open (soft `RLIMIT_NOFILE` less those
/// open now), or `None` when unlimited or unknown.
#[cfg(unix)]
fn free_descriptors() -> Option<u64> {
    let limit = soft_limit!(libc::RLIMIT_NOFILE)?;
    let open = std::fs::read_dir("/proc/self/fd")
        .or_else(|_| std::fs::read_dir("/dev/fd"))
        .map(|dir| dir.count() as u64)
        .unwrap_or(0);
    Some(limit.saturating_sub(open))
}

/// How many more threads this user may start under `RLIMIT_NPROC` (less the
/// process's own threads, a lower bound of the user's), or `None` when unlimited.
#[cfg(unix)]
fn free_threads() -> Option<u64> {
    let limit = soft_limit!(libc::RLIMIT_NPROC)?;
    let own = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Threads:"))
                .and_then(|n| n.trim().parse::<u64>().ok())
        })
        .unwrap_or(1);
    Some(limit.saturating_sub(own))
}

/// A soft resource limit, or `None` when unlimited or unknown. (A macro: the type of
/// the resource argument differs between C libraries.)
#[cfg(unix)]
macro_rules! soft_limit {
    ($resource:expr) => {{
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes one rlimit struct through a pointer to a live local.
        let rc = unsafe { libc::getrlimit($resource, &mut limit) };
        (rc == 0 && limit.rlim_cur != libc::RLIM_INFINITY).then(|| limit.rlim_cur as u64)
    }};
}
#[cfg(unix)]
use soft_limit;

/// Checks `ZMQ_THREAD_AFFINITY_CPU_ADD`: `EINVAL` for a CPU the process may not run
/// on (outside its affinity mask, or beyond what a `cpu_set_t` holds), which would
/// make `pthread_setaffinity_np` fail in the I/O threads if it were the only one.
pub(crate) fn check_affinity_cpu(cpu: c_int) -> Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let Ok(index) = usize::try_from(cpu) else {
            return Err(Error::EINVAL);
        };
        if index >= libc::CPU_SETSIZE as usize {
            return Err(Error::EINVAL);
        }
        // SAFETY: cpu_set_t is a plain bit array; all zeros is an empty set.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: sched_getaffinity writes at most size_of::<cpu_set_t>() bytes into
        // the live local it is given.
        let rc =
            unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
        if rc != 0 {
            return Err(Error::last_os());
        }
        // SAFETY: index < CPU_SETSIZE (checked above), the bit count of the set.
        if !unsafe { libc::CPU_ISSET(index, &set) } {
            return Err(Error::EINVAL);
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    if cpu < 0 {
        return Err(Error::EINVAL);
    }
    Ok(())
}

/// Checks a scheduling policy and priority for the I/O threads as libzmq will apply
/// them (`thread.cpp`, `applySchedulingParameters`), by applying them to a throwaway
/// thread started from this one (I/O threads inherit their scheduling from the thread
/// that starts them). `EINVAL` for a policy or priority the OS rejects, `EPERM` for
/// one the process lacks the privilege for.
#[cfg(unix)]
pub(crate) fn check_scheduling(policy: c_int, priority: c_int) -> Result<()> {
    if policy == THREAD_DEFAULT && priority == THREAD_DEFAULT {
        return Ok(());
    }
    std::thread::Builder::new()
        .name("zmq-sched-probe".into())
        .spawn(move || apply_scheduling(policy, priority))
        .map_err(|_| Error::EAGAIN)?
        .join()
        .unwrap_or(Err(Error::EINVAL))
}

/// Windows: libzmq does not apply scheduling parameters there (`thread.cpp`).
#[cfg(not(unix))]
pub(crate) fn check_scheduling(_policy: c_int, _priority: c_int) -> Result<()> {
    Ok(())
}

/// What libzmq's `applySchedulingParameters` does on POSIX, on the calling thread,
/// with its failures returned instead of asserted.
#[cfg(unix)]
fn apply_scheduling(policy_option: c_int, priority_option: c_int) -> Result<()> {
    let mut policy: c_int = 0;
    // SAFETY: sched_param is a plain C struct; all zeros is a valid value.
    let mut param: libc::sched_param = unsafe { std::mem::zeroed() };
    // SAFETY: this thread's own handle; the outputs are live locals.
    let rc = unsafe { libc::pthread_getschedparam(libc::pthread_self(), &mut policy, &mut param) };
    if rc != 0 {
        return Err(Error::from_raw(rc));
    }
    if policy_option != THREAD_DEFAULT {
        policy = policy_option;
    }
    let use_nice = policy != libc::SCHED_FIFO && policy != libc::SCHED_RR;
    if use_nice {
        param.sched_priority = 0;
    } else if priority_option != THREAD_DEFAULT {
        param.sched_priority = priority_option;
    }
    // SAFETY: this thread's own handle and a live, initialised sched_param.
    let rc = unsafe { libc::pthread_setschedparam(libc::pthread_self(), policy, &param) };
    if rc != 0 {
        return Err(Error::from_raw(rc));
    }
    if use_nice && priority_option != THREAD_DEFAULT && priority_option > 0 {
        lower_nice_by_20()?;
    }
    Ok(())
}

/// libzmq calls `nice(-20)` and asserts that it did not return -1: a failure (`EPERM`
/// without `CAP_SYS_NICE` or a big enough `RLIMIT_NICE`), but also a success that
/// lands on a nice value of -1 (from 19). On Linux `nice` changes the calling thread
/// only, so the probe thread can try it; elsewhere it changes the whole process, so
/// only a privileged process is let through.
#[cfg(unix)]
fn lower_nice_by_20() -> Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        // SAFETY: nice takes an increment and changes this (probe) thread's nice
        // value only (Linux); it returns the new value, or -1 with errno set.
        let rc = unsafe { libc::nice(-20) };
        if rc == -1 {
            return Err(Error::EPERM);
        }
        Ok(())
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            Ok(())
        } else {
            Err(Error::EPERM)
        }
    }
}

/// `ZMQ_ZAP_ENFORCE_DOMAIN` (declared with the draft options in zmq.h, accepted by
/// every libzmq 4.3 build): read on the raw path, so the check holds without the
/// `draft` feature too.
pub(crate) const ZMQ_ZAP_ENFORCE_DOMAIN: c_int = 93;

#[cfg(feature = "draft")]
const _: () = assert!(ZMQ_ZAP_ENFORCE_DOMAIN == zmq_sys::ZMQ_ZAP_ENFORCE_DOMAIN);

/// `ZMQ_PRIORITY` (a draft socket option; zmq.h gives it this number). Checked on
/// the raw option path too, so a build without the `draft` feature linked to a
/// libzmq with it cannot reach the abort either.
pub(crate) const ZMQ_PRIORITY: c_int = 112;

#[cfg(feature = "draft")]
const _: () = assert!(ZMQ_PRIORITY == zmq_sys::ZMQ_PRIORITY);

/// Checks `ZMQ_PRIORITY`: libzmq sets `SO_PRIORITY` on every TCP connection of the
/// socket and aborts if that fails (values above 6 need `CAP_NET_ADMIN`). The probe
/// sets it on a throwaway TCP socket: its error (`EPERM`) is the setter's. Where the
/// OS has no `SO_PRIORITY`, libzmq ignores the option.
pub(crate) fn check_so_priority(priority: c_int) -> Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        if priority == 0 {
            // libzmq skips the call for 0.
            return Ok(());
        }
        let socket = ProbeSocket::new(libc::AF_INET)?;
        socket.set_int(libc::SOL_SOCKET, libc::SO_PRIORITY, priority)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = priority;
        Ok(())
    }
}

/// Checks `ZMQ_TOS`: libzmq sets `IP_TOS` on every TCP connection of the socket
/// (IPv4 and IPv6 ones) and aborts if that fails, and `IPV6_TCLASS` where it tolerates
/// only `ENOPROTOOPT` and `EINVAL`.
pub(crate) fn check_ip_tos(tos: c_int) -> Result<()> {
    #[cfg(unix)]
    {
        if tos == 0 {
            // Not set on connections when 0 (tcp.cpp, tcp_listener.cpp).
            return Ok(());
        }
        let v4 = ProbeSocket::new(libc::AF_INET)?;
        v4.set_int(libc::IPPROTO_IP, libc::IP_TOS, tos)?;
        if let Ok(v6) = ProbeSocket::new(libc::AF_INET6) {
            v6.set_int(libc::IPPROTO_IP, libc::IP_TOS, tos)?;
            match v6.set_int(libc::IPPROTO_IPV6, libc::IPV6_TCLASS, tos) {
                Ok(()) | Err(Error::EINVAL) => {}
                Err(e) if e.raw() == libc::ENOPROTOOPT => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        let _ = tos;
        Ok(())
    }
}

/// A TCP socket of our own, closed on drop, to try socket options on.
#[cfg(unix)]
struct ProbeSocket(std::os::fd::OwnedFd);

#[cfg(unix)]
impl ProbeSocket {
    fn new(family: c_int) -> Result<ProbeSocket> {
        use std::os::fd::FromRawFd;
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let kind = libc::SOCK_STREAM | libc::SOCK_CLOEXEC;
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let kind = libc::SOCK_STREAM;
        // SAFETY: socket has no memory preconditions; it returns a new descriptor or -1.
        let fd = unsafe { libc::socket(family, kind, 0) };
        if fd < 0 {
            return Err(Error::last_os());
        }
        // SAFETY: fd is a descriptor we just opened and own.
        Ok(ProbeSocket(unsafe {
            std::os::fd::OwnedFd::from_raw_fd(fd)
        }))
    }

    fn set_int(&self, level: c_int, name: c_int, value: c_int) -> Result<()> {
        use std::os::fd::AsRawFd;
        // SAFETY: our open socket; the value is a live c_int of the length given.
        let rc = unsafe {
            libc::setsockopt(
                self.0.as_raw_fd(),
                level,
                name,
                (&value as *const c_int).cast(),
                std::mem::size_of::<c_int>() as libc::socklen_t,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(Error::last_os())
        }
    }
}
