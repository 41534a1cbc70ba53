//! libsodium, for CURVE: libzmq 4.3.5 has no bundled tweetnacl, so its CURVE
//! mechanism exists only through libsodium (`ZMQ_USE_LIBSODIUM`).
//!
//! * **Bundled** (the default): the libsodium sources CURVE reaches, from the
//!   unmodified release tree in `vendor/libsodium`, compiled with `cc` and archived
//!   into the same static `libzmq` (no configure, no make, nothing downloaded, so
//!   cross and offline builds work like native ones). Its configuration comes from
//!   [`PROBES`], compiled with the target's C compiler as configure would, and from
//!   the target's endianness; its `sodium/version.h` is generated from
//!   `version.h.in` with the numbers in `configure.ac`.
//! * **System**: `SODIUM_USE_PKG_CONFIG` set (not empty, not `0`) links the
//!   libsodium `pkg-config` finds; `SODIUM_LIB_DIR` (with `SODIUM_INCLUDE_DIR`,
//!   default `<SODIUM_LIB_DIR>/../include`) links the one there, statically unless
//!   `SODIUM_SHARED` is set. These are the variables `libsodium-sys-stable` reads, so a
//!   program that also uses that crate can point both at one shared copy.

use std::fs;
use std::path::{Path, PathBuf};

use super::probes::{probe, On, Probe, ProbeResults};
use super::{base_build, write_file};
use crate::{env, env_flag, fail, Ctx};

/// Where libzmq's CURVE gets libsodium from.
pub(super) enum Sodium {
    /// Compiled here from `vendor/libsodium`.
    Bundled,
    /// Installed on the machine: its include directories, and the link directives to
    /// print once libzmq is archived (a static library must follow the archive that
    /// uses it on the link line).
    System {
        include_dirs: Vec<PathBuf>,
        link: Vec<String>,
        /// Linked statically (libzmq's headers then must not ask for DLL imports).
        statik: bool,
    },
}

impl Sodium {
    /// Whether libsodium ends up inside the program (not a shared library).
    pub(super) fn is_static(&self) -> bool {
        match self {
            Sodium::Bundled => true,
            Sodium::System { statik, .. } => *statik,
        }
    }
}

/// Decide where libsodium comes from (the system when a variable asks for it).
pub(super) fn choose(ctx: &Ctx) -> Sodium {
    if env_flag("SODIUM_USE_PKG_CONFIG") {
        let found = pkg_config::Config::new()
            .cargo_metadata(false)
            .env_metadata(false)
            .probe("libsodium");
        return match found {
            Ok(lib) => {
                let mut link: Vec<String> = lib
                    .link_paths
                    .iter()
                    .map(|p| format!("cargo:rustc-link-search=native={}", p.display()))
                    .collect();
                link.extend(lib.libs.iter().map(|l| format!("cargo:rustc-link-lib={l}")));
                Sodium::System {
                    include_dirs: lib.include_paths,
                    link,
                    statik: false,
                }
            }
            Err(e) => fail(&format!(
                "SODIUM_USE_PKG_CONFIG is set, but pkg-config found no libsodium:\n    {}\n\
                 Install it (Debian/Ubuntu: `apt-get install libsodium-dev pkg-config`), or unset \
                 SODIUM_USE_PKG_CONFIG to build the bundled libsodium.",
                e.to_string().trim().replace('\n', "\n    ")
            )),
        };
    }
    if let Some(lib_dir) = env("SODIUM_LIB_DIR").filter(|v| !v.is_empty()) {
        let lib_dir = PathBuf::from(lib_dir);
        let include_dir = env("SODIUM_INCLUDE_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| lib_dir.join("..").join("include"));
        if !include_dir.join("sodium.h").is_file() {
            fail(&format!(
                "SODIUM_LIB_DIR={} is set, but {} holds no sodium.h: set SODIUM_INCLUDE_DIR to the \
                 directory that does, or unset SODIUM_LIB_DIR to build the bundled libsodium.",
                lib_dir.display(),
                include_dir.display()
            ));
        }
        let statik = !env_flag("SODIUM_SHARED");
        let kind = if statik { "static" } else { "dylib" };
        // MSVC's import and static libraries are called libsodium.lib.
        let name = if ctx.target_env == "msvc" {
            "libsodium"
        } else {
            "sodium"
        };
        return Sodium::System {
            include_dirs: vec![include_dir],
            link: vec![
                format!("cargo:rustc-link-search=native={}", lib_dir.display()),
                format!("cargo:rustc-link-lib={kind}={name}"),
            ],
            statik,
        };
    }
    Sodium::Bundled
}

/// The bundled tree's `src/libsodium`, after checking that it is there.
pub(super) fn source_dir(ctx: &Ctx) -> PathBuf {
    let dir = ctx.sodium_dir.join("src").join("libsodium");
    if !dir.join("include").join("sodium.h").is_file() {
        fail(&format!(
            "the `curve` feature needs the bundled libsodium sources, but {} does not hold \
             include/sodium.h.\n\
             Restore the vendor/libsodium tree, set SODIUM_USE_PKG_CONFIG=1 (or SODIUM_LIB_DIR) to \
             use a system libsodium, or disable the `curve` feature.",
            dir.display()
        ));
    }
    dir
}

/// The directories (every `.c` below them) and files, relative to `src/libsodium`,
/// that libzmq's CURVE reaches: `crypto_box`, `crypto_secretbox`,
/// `crypto_scalarmult_base`, `randombytes`, `sodium_init`, `sodium_allocarray` and
/// `sodium_free`, with the primitives behind them in all their implementations
/// (each file compiles to nothing where its instruction set is missing). The second
/// group is what `sodium_init()` picks implementations of at start-up, which libzmq
/// does not otherwise use. Everything else in the tree is not compiled: a missing
/// file here is a link error of every program that uses CURVE, never a silent gap.
const SOURCES: &[&str] = &[
    "sodium",
    "randombytes",
    "crypto_box/crypto_box.c",
    "crypto_box/crypto_box_easy.c",
    "crypto_box/curve25519xsalsa20poly1305",
    "crypto_secretbox/crypto_secretbox.c",
    "crypto_secretbox/crypto_secretbox_easy.c",
    "crypto_secretbox/xsalsa20poly1305",
    "crypto_scalarmult/crypto_scalarmult.c",
    "crypto_scalarmult/curve25519",
    "crypto_core/ed25519/ref10",
    "crypto_core/hsalsa20",
    "crypto_core/salsa",
    "crypto_stream/salsa20",
    "crypto_stream/xsalsa20",
    "crypto_onetimeauth/poly1305",
    "crypto_verify",
    // Picked by sodium_init().
    "crypto_stream/chacha20",
    "crypto_generichash/blake2b",
    "crypto_pwhash/argon2",
    "crypto_hash/sha512",
    "crypto_aead/aegis128l",
    "crypto_aead/aegis256",
    "crypto_core/softaes",
];

/// The assembly sources (x86-64, System V ABI only; each is guarded inside), as
/// upstream's `Makefile.am` lists them: the other `.S` files are included by these.
const ASM_SOURCES: &[&str] = &[
    "crypto_stream/salsa20/xmm6/salsa20_xmm6-asm.S",
    "crypto_scalarmult/curve25519/sandy2x/sandy2x.S",
];

/// `code` compiled for the instruction set `target` (GCC's `target` pragma, or Clang's
/// attribute on every function), as libsodium's SIMD files enable theirs.
macro_rules! with_target {
    ($target:literal, $code:expr) => {
        concat!(
            "#ifdef __clang__\n#pragma clang attribute push(__attribute__((target(\"",
            $target,
            "\"))), apply_to = function)\n#elif defined(__GNUC__)\n#pragma GCC target(\"",
            $target,
            "\")\n#endif\n",
            $code,
            "\n#ifdef __clang__\n#pragma clang attribute pop\n#endif"
        )
    };
}

/// The checks of libsodium's `configure.ac` that its sources read, as C snippets:
/// each name is the macro defined when its snippet compiles.
pub(super) const PROBES: &[Probe] = &[
    probe(
        "HAVE_INTTYPES_H",
        On::All,
        "#include <inttypes.h>\nint zmq_sys_probe;",
    ),
    probe(
        "HAVE_STDINT_H",
        On::All,
        "#include <stdint.h>\nuint64_t zmq_sys_probe;",
    ),
    probe(
        "HAVE_INLINE_ASM",
        On::All,
        "int zmq_sys_probe(void) {\n\
             int a = 42;\n\
             int *pnt = &a;\n\
             __asm__ __volatile__ (\"\" : : \"r\"(pnt) : \"memory\");\n\
             return a;\n}",
    ),
    // 128-bit arithmetic; the conditions are configure's (little endian only, and not
    // clang on 32-bit targets).
    probe(
        "HAVE_TI_MODE",
        On::All,
        "#if !defined(__clang__) && !defined(__GNUC__) && !defined(__SIZEOF_INT128__)\n\
         #error no 128-bit type\n#endif\n\
         #if defined(__clang__) && !defined(__x86_64__) && !defined(__aarch64__)\n\
         #error clang's 128-bit type on 32-bit targets\n#endif\n\
         #ifndef NATIVE_LITTLE_ENDIAN\n#error big endian\n#endif\n\
         #if defined(__SIZEOF_INT128__)\ntypedef unsigned __int128 uint128_t;\n\
         #else\ntypedef unsigned uint128_t __attribute__((mode(TI)));\n#endif\n\
         void zmq_sys_probe(uint128_t *t) { *t += 0x8000000000000 - 1; *t *= *t; *t >>= 84; }",
    ),
    // x86-64 assembly in the System V calling convention (the .S files).
    probe(
        "HAVE_AMD64_ASM",
        On::Unix,
        "#if !defined(__x86_64__) && !defined(__amd64__)\n#error not x86-64\n#endif\n\
         void zmq_sys_probe(unsigned char *i, unsigned char *o) {\n\
             unsigned char t;\n\
             __asm__ __volatile__ (\"pxor %%xmm12, %%xmm6 \\n\" \"movb (%[i]), %[t] \\n\" \
             \"addb %[t], (%[o]) \\n\" : [t] \"=&r\"(t) : [o] \"D\"(o), [i] \"S\"(i) \
             : \"memory\", \"flags\", \"cc\");\n}",
    ),
    probe(
        "HAVE_AVX_ASM",
        On::Unix,
        "#if !defined(__x86_64__) && !defined(__amd64__)\n#error not x86-64\n#endif\n\
         void zmq_sys_probe(void) { __asm__ __volatile__ (\"vpunpcklqdq %xmm0,%xmm13,%xmm0\"); }",
    ),
    probe(
        "HAVE_CPUID",
        On::All,
        "#if !defined(__i386__) && !defined(__x86_64__)\n#error not x86\n#endif\n\
         void zmq_sys_probe(unsigned int *c) {\n\
             __asm__ __volatile__ (\"xchgl %%ebx, %k1; cpuid; xchgl %%ebx, %k1\" : \"=a\" (c[0]), \
             \"=&r\" (c[1]), \"=c\" (c[2]), \"=d\" (c[3]) : \"0\" (0U), \"2\" (0U));\n}",
    ),
    probe(
        "HAVE_XGETBV_ASM",
        On::All,
        "#if !defined(__i386__) && !defined(__x86_64__)\n#error not x86\n#endif\n\
         unsigned int zmq_sys_probe(void) {\n\
             unsigned int xcr0;\n\
             __asm__ __volatile__ (\".byte 0x0f, 0x01, 0xd0\" : \"=a\" (xcr0) : \
             \"c\" ((unsigned int) 0U) : \"%edx\");\n\
             return xcr0;\n}",
    ),
    // Instruction sets the SIMD implementations are compiled for (each file enables
    // its own with a target pragma; the CPU is checked at run time).
    probe(
        "HAVE_MMINTRIN_H",
        On::All,
        with_target!(
            "mmx",
            "#include <mmintrin.h>\n__m64 zmq_sys_probe(void) { return _mm_setzero_si64(); }"
        ),
    ),
    probe(
        "HAVE_EMMINTRIN_H",
        On::All,
        with_target!(
            "sse2",
            "#include <emmintrin.h>\n__m128d zmq_sys_probe(void) { return _mm_setzero_pd(); }"
        ),
    ),
    probe(
        "HAVE_PMMINTRIN_H",
        On::All,
        with_target!(
            "sse3",
            "#include <pmmintrin.h>\n\
             __m128 zmq_sys_probe(void) {\n\
                 return _mm_addsub_ps(_mm_cvtpd_ps(_mm_setzero_pd()), _mm_cvtpd_ps(_mm_setzero_pd()));\n}"
        ),
    ),
    probe(
        "HAVE_TMMINTRIN_H",
        On::All,
        with_target!(
            "ssse3",
            "#include <tmmintrin.h>\n__m128i zmq_sys_probe(__m128i x) { return _mm_abs_epi32(x); }"
        ),
    ),
    probe(
        "HAVE_SMMINTRIN_H",
        On::All,
        with_target!(
            "sse4.1",
            "#include <smmintrin.h>\n\
             __m128i zmq_sys_probe(void) { return _mm_minpos_epu16(_mm_setzero_si128()); }"
        ),
    ),
    probe(
        "HAVE_AVXINTRIN_H",
        On::All,
        with_target!(
            "avx",
            "#include <immintrin.h>\nvoid zmq_sys_probe(void) { _mm256_zeroall(); }"
        ),
    ),
    probe(
        "HAVE_AVX2INTRIN_H",
        On::All,
        with_target!(
            "avx2",
            "#include <immintrin.h>\n\
             int zmq_sys_probe(void) {\n\
                 __m256 x = _mm256_set1_ps(3.14f);\n\
                 __m256 y = _mm256_permutevar8x32_ps(x, _mm256_set1_epi32(42));\n\
                 __m256i z = _mm256_broadcastsi128_si256(_mm_setzero_si128());\n\
                 (void) z;\n\
                 return _mm256_movemask_ps(_mm256_cmp_ps(x, y, _CMP_NEQ_OQ));\n}"
        ),
    ),
    probe(
        "HAVE_AVX512FINTRIN_H",
        On::All,
        with_target!(
            "avx512f",
            "#include <immintrin.h>\n\
             __m512i zmq_sys_probe(void) {\n\
                 __m512i x = _mm512_setzero_epi32();\n\
                 return _mm512_permutexvar_epi64(_mm512_setr_epi64(0, 1, 4, 5, 2, 3, 6, 7), x);\n}"
        ),
    ),
    probe(
        "HAVE_WMMINTRIN_H",
        On::All,
        with_target!(
            "aes,pclmul",
            "#include <wmmintrin.h>\n\
             __m128i zmq_sys_probe(void) {\n\
                 __m128i x = _mm_aesimc_si128(_mm_setzero_si128());\n\
                 return _mm_clmulepi64_si128(x, _mm_setzero_si128(), 0);\n}"
        ),
    ),
    probe(
        "HAVE_RDRAND",
        On::All,
        with_target!(
            "rdrnd",
            "#include <immintrin.h>\nint zmq_sys_probe(unsigned int *x) { return _rdrand32_step(x); }"
        ),
    ),
    probe(
        "HAVE_ARMCRYPTO",
        On::All,
        "#ifdef __clang__\n\
         #pragma clang attribute push(__attribute__((target(\"neon,crypto,aes\"))), apply_to = function)\n\
         #elif defined(__GNUC__)\n#pragma GCC target(\"+simd+crypto\")\n#endif\n\
         #ifndef __ARM_FEATURE_CRYPTO\n#define __ARM_FEATURE_CRYPTO 1\n#endif\n\
         #ifndef __ARM_FEATURE_AES\n#define __ARM_FEATURE_AES 1\n#endif\n\
         #include <arm_neon.h>\n\
         uint8x16_t zmq_sys_probe(int64x2_t x) {\n\
             (void) vmull_high_p64(vreinterpretq_p64_s64(x), vreinterpretq_p64_s64(x));\n\
             return vaeseq_u8(vmovq_n_u8(0), vmovq_n_u8(0));\n}\n\
         #ifdef __clang__\n#pragma clang attribute pop\n#endif",
    ),
    probe(
        "HAVE_CET_H",
        On::All,
        "#include <cet.h>\nint zmq_sys_probe;",
    ),
    // Atomics and fences (the lock in sodium_init, the memory-zeroing barrier).
    probe(
        "HAVE_ATOMIC_OPS",
        On::All,
        "static volatile int zmq_sys_lock;\n\
         void zmq_sys_probe(void) {\n\
             __sync_lock_test_and_set(&zmq_sys_lock, 1);\n\
             __sync_lock_release(&zmq_sys_lock);\n}",
    ),
    probe(
        "HAVE_C11_MEMORY_FENCES",
        On::All,
        "#include <stdatomic.h>\n\
         void zmq_sys_probe(void) { atomic_thread_fence(memory_order_acquire); }",
    ),
    probe(
        "HAVE_GCC_MEMORY_FENCES",
        On::All,
        "void zmq_sys_probe(void) { __atomic_thread_fence(__ATOMIC_ACQUIRE); }",
    ),
    probe(
        "HAVE_WEAK_SYMBOLS",
        On::All,
        "#if !defined(__ELF__) && !defined(__APPLE_CC__)\n#error no weak symbols\n#endif\n\
         __attribute__((weak)) void zmq_sys_dummy(void *x) { (void) x; }\n\
         void zmq_sys_probe(void *x) { zmq_sys_dummy(x); }",
    ),
    // The OS: memory protection for sodium_malloc, randomness, time, CPU features.
    probe("HAVE_PTHREAD", On::Unix, "#include <pthread.h>\n\
         static pthread_mutex_t zmq_sys_lock = PTHREAD_MUTEX_INITIALIZER;\n\
         int zmq_sys_probe(void) { return pthread_mutex_lock(&zmq_sys_lock); }"),
    probe(
        "HAVE_SYS_MMAN_H",
        On::Unix,
        "#include <sys/mman.h>\nint zmq_sys_probe = PROT_READ;",
    ),
    probe(
        "HAVE_MMAP",
        On::Unix,
        "#include <sys/mman.h>\n\
         void *zmq_sys_probe(void) { return mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0); }",
    ),
    probe(
        "HAVE_MPROTECT",
        On::Unix,
        "#include <sys/mman.h>\nint zmq_sys_probe(void *p) { return mprotect(p, 4096, PROT_NONE); }",
    ),
    probe(
        "HAVE_MLOCK",
        On::Unix,
        "#include <sys/mman.h>\nint zmq_sys_probe(void *p) { return mlock(p, 4096); }",
    ),
    probe(
        "HAVE_MADVISE",
        On::Unix,
        "#include <sys/mman.h>\nint zmq_sys_probe(void *p) { return madvise(p, 4096, MADV_DONTDUMP); }",
    ),
    probe(
        "HAVE_POSIX_MEMALIGN",
        On::Unix,
        "#include <stdlib.h>\nint zmq_sys_probe(void **p) { return posix_memalign(p, 64, 64); }",
    ),
    probe(
        "HAVE_SYSCONF",
        On::Unix,
        "#include <unistd.h>\nlong zmq_sys_probe(void) { return sysconf(_SC_PAGESIZE); }",
    ),
    probe(
        "HAVE_SYS_PARAM_H",
        On::All,
        "#include <sys/param.h>\nint zmq_sys_probe;",
    ),
    probe(
        "HAVE_RAISE",
        On::All,
        "#include <signal.h>\nint zmq_sys_probe(void) { return raise(SIGABRT); }",
    ),
    probe(
        "HAVE_NANOSLEEP",
        On::Unix,
        "#include <time.h>\nint zmq_sys_probe(struct timespec *t) { return nanosleep(t, 0); }",
    ),
    probe(
        "HAVE_CLOCK_GETTIME",
        On::Unix,
        "#include <time.h>\n\
         int zmq_sys_probe(struct timespec *t) { return clock_gettime(CLOCK_MONOTONIC, t); }",
    ),
    probe(
        "HAVE_GETPID",
        On::Unix,
        "#include <unistd.h>\nint zmq_sys_probe(void) { return (int) getpid(); }",
    ),
    probe(
        "HAVE_SYS_RANDOM_H",
        On::Unix,
        "#include <sys/random.h>\nint zmq_sys_probe;",
    ),
    probe(
        "HAVE_GETRANDOM",
        On::Unix,
        "#include <stdlib.h>\n#include <unistd.h>\n#include <sys/random.h>\n\
         long zmq_sys_probe(void *b) { return (long) getrandom(b, 1U, 0U); }",
    ),
    probe(
        "HAVE_GETENTROPY",
        On::Unix,
        "#include <stdlib.h>\n#include <unistd.h>\n#include <sys/random.h>\n\
         int zmq_sys_probe(void *b) { return getentropy(b, 1U); }",
    ),
    probe(
        "HAVE_SYS_AUXV_H",
        On::Unix,
        "#include <sys/auxv.h>\nint zmq_sys_probe;",
    ),
    probe(
        "HAVE_GETAUXVAL",
        On::Unix,
        "#include <sys/auxv.h>\nunsigned long zmq_sys_probe(void) { return getauxval(AT_HWCAP); }",
    ),
    probe(
        "HAVE_ELF_AUX_INFO",
        On::Unix,
        "#include <sys/auxv.h>\n\
         int zmq_sys_probe(unsigned long *b) { return elf_aux_info(AT_HWCAP, b, (int) sizeof *b); }",
    ),
    probe(
        "HAVE_EXPLICIT_BZERO",
        On::All,
        "#include <string.h>\n#include <strings.h>\n\
         void zmq_sys_probe(void *p) { explicit_bzero(p, 1); }",
    ),
    // (HAVE_ALLOCA follows.)
    probe(
        "HAVE_ALLOCA_H",
        On::All,
        "#include <alloca.h>\nvoid *zmq_sys_probe(void) { return alloca(1); }",
    ),
];

/// The defines libsodium's sources read: `CONFIGURED` (no `config.h`), the
/// endianness, the linking mode on Windows, the probed ones, and the two `configure`
/// decides from the object format.
pub(super) fn defines(ctx: &Ctx, probes: &ProbeResults) -> Vec<(&'static str, &'static str)> {
    let mut d = vec![("CONFIGURED", "1")];
    if ctx.windows {
        d.push(("SODIUM_STATIC", "1"));
    }
    for p in PROBES {
        if probes.has(p.name) {
            d.push((p.name, "1"));
        }
    }
    if probes.has("HAVE_ALLOCA_H") {
        d.push(("HAVE_ALLOCA", "1"));
    }
    // The thread-local storage keyword of C11 (the MSVC spelling is the sources' own
    // fallback).
    if ctx.target_env != "msvc" {
        d.push(("TLS", "_Thread_local"));
    }
    // How the assembly files hide their symbols: ELF and Mach-O spell it differently.
    if probes.has("HAVE_AMD64_ASM") {
        d.push((
            "ASM_HIDE_SYMBOL",
            if ctx.target_vendor == "apple" {
                ".private_extern"
            } else {
                ".hidden"
            },
        ));
    }
    d
}

/// The settings libsodium's sources are compiled (and probed) with: the shared
/// optimisation rule, the endianness, and the flags `configure` adds for GCC and
/// Clang (the code relies on wrapping signed arithmetic being left alone).
pub(super) fn c_build(ctx: &Ctx) -> cc::Build {
    let mut c = base_build(ctx);
    c.cpp(false);
    c.define(
        if ctx.big_endian {
            "NATIVE_BIG_ENDIAN"
        } else {
            "NATIVE_LITTLE_ENDIAN"
        },
        "1",
    );
    if ctx.windows {
        c.define("_CRT_SECURE_NO_WARNINGS", None);
    }
    if let Ok(tool) = c.try_get_compiler() {
        if !tool.is_like_msvc() {
            c.flag("-fvisibility=hidden")
                .flag("-fno-strict-aliasing")
                .flag("-fno-strict-overflow");
        }
    }
    c
}

/// Generate `sodium/version.h` (which `sodium.h` includes) from upstream's
/// `version.h.in` and the version numbers in `configure.ac`, into `include_dir`.
fn write_version_h(sodium_root: &Path, src: &Path, include_dir: &Path) {
    let read = |path: &Path| {
        fs::read_to_string(path)
            .unwrap_or_else(|e| fail(&format!("could not read {}: {e}", path.display())))
    };
    let configure = read(&sodium_root.join("configure.ac"));
    // AC_INIT([libsodium],[1.0.22],...) and SODIUM_LIBRARY_VERSION_MAJOR=26
    let version = configure
        .lines()
        .find_map(|l| l.strip_prefix("AC_INIT([libsodium],["))
        .and_then(|rest| rest.split(']').next());
    let number = |name: &str| {
        configure
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
            .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
    };
    let (Some(version), Some(major), Some(minor)) = (
        version,
        number("SODIUM_LIBRARY_VERSION_MAJOR"),
        number("SODIUM_LIBRARY_VERSION_MINOR"),
    ) else {
        fail(&format!(
            "could not read libsodium's version from {}",
            sodium_root.join("configure.ac").display()
        ))
    };
    let template = read(&src.join("include").join("sodium").join("version.h.in"));
    let header = template
        .replace("@VERSION@", version)
        .replace("@SODIUM_LIBRARY_VERSION_MAJOR@", major)
        .replace("@SODIUM_LIBRARY_VERSION_MINOR@", minor)
        .replace("@SODIUM_LIBRARY_MINIMAL_DEF@", "");
    let dir = include_dir.join("sodium");
    if let Err(e) = fs::create_dir_all(&dir) {
        fail(&format!("could not create {}: {e}", dir.display()));
    }
    let path = dir.join("version.h");
    if fs::read_to_string(&path).ok().as_deref() != Some(header.as_str()) {
        write_file(&path, &header);
    }
}

/// Write what libsodium was configured with (the probes that passed and failed, and
/// the defines) to `include_dir/config.txt`, for whoever wonders why: libsodium
/// reads them as `-D` flags, not from a header.
fn record_config(include_dir: &Path, probes: &ProbeResults, defines: &[(&str, &str)]) {
    let names = |ok: bool| {
        let v: Vec<&str> = probes
            .results
            .iter()
            .filter(|&&(_, r)| r == ok)
            .map(|&(n, _)| n)
            .collect();
        v.join(" ")
    };
    let defines: Vec<String> = defines.iter().map(|(n, v)| format!("{n}={v}")).collect();
    let text = format!(
        "libsodium configuration, written by zmq-sys's build script (build/vendored/sodium.rs).\n\
         probes passed: {}\nprobes failed: {}\ndefines: {}\n",
        names(true),
        names(false),
        defines.join(" ")
    );
    write_file(&include_dir.join("config.txt"), &text);
}

/// Every file of [`SOURCES`] (directories expanded to the `.c` files below them,
/// sorted) and [`ASM_SOURCES`], below `src`.
fn list_sources(src: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let entries = fs::read_dir(dir)
            .unwrap_or_else(|e| fail(&format!("could not list {}: {e}", dir.display())));
        for entry in entries {
            let path = entry
                .unwrap_or_else(|e| fail(&format!("could not list {}: {e}", dir.display())))
                .path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|x| x == "c") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    for rel in SOURCES {
        let path = src.join(rel);
        if path.is_dir() {
            walk(&path, &mut files);
        } else if path.is_file() {
            files.push(path);
        } else {
            fail(&format!(
                "the bundled libsodium has no {}: vendor/libsodium does not match the list in \
                 zmq-sys/build/vendored/sodium.rs",
                path.display()
            ));
        }
    }
    files.sort();
    files.extend(ASM_SOURCES.iter().map(|rel| src.join(rel)));
    files
}

/// Compile the bundled libsodium's sources for CURVE with `c` (configured by
/// [`c_build`] and the probes) and return the objects, to be archived with libzmq's.
/// `include_dir` receives the generated `sodium/version.h`; libzmq compiles against
/// it and `src/include`.
pub(super) fn compile(
    ctx: &Ctx,
    mut c: cc::Build,
    probes: &ProbeResults,
    include_dir: &Path,
) -> Vec<PathBuf> {
    let src = source_dir(ctx);
    write_version_h(&ctx.sodium_dir, &src, include_dir);
    let defines = defines(ctx, probes);
    record_config(include_dir, probes, &defines);
    for &(name, value) in &defines {
        c.define(name, value);
    }
    // The sources include their headers as "sodium/..." or "private/...", or bare
    // from include/sodium.
    let own = src.join("include");
    c.include(include_dir)
        .include(include_dir.join("sodium"))
        .include(&own)
        .include(own.join("sodium"));
    let files = list_sources(&src);
    let is_asm = |f: &PathBuf| f.extension().is_some_and(|x| x == "S");
    if !probes.has("HAVE_AMD64_ASM") {
        // Guarded inside, but an assembler for another architecture may still reject
        // the file's syntax; the configure build leaves them out the same way.
        c.files(files.iter().filter(|f| !is_asm(f)));
    } else {
        c.files(&files);
    }
    c.cargo_metadata(false)
        .out_dir(ctx.out_dir.join("lib").join("sodium"));
    match c.try_compile_intermediates() {
        Ok(objects) => objects,
        Err(e) => {
            let tool = c.try_get_compiler().ok();
            super::diagnose::compile_failed(ctx, "libsodium", &e, tool.as_ref(), &files)
        }
    }
}
