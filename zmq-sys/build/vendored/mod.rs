//! Vendored mode: compile the bundled libzmq 4.3.5 with `cc` (no CMake, no autotools)
//! into a static `libzmq` archive in `$OUT_DIR/lib`.
//!
//! The steps, one module each:
//! 1. [`probes`]: small snippets compiled with the *target* compilers and the flags of
//!    the library they configure, so a cross build describes the target, not the
//!    build machine;
//! 2. [`platform_hpp`]: the configuration header libzmq reads, decided from the
//!    probes, the target and the features;
//! 3. [`sodium`]: with the `curve` feature, libsodium (bundled and compiled here, or
//!    the system's), which libzmq 4.3.5's CURVE needs;
//! 4. [`compile`]: the `cc` build of libzmq's sources (through a precompiled header,
//!    [`pch`]), archived with libsodium's, and the link directives;
//! 5. [`diagnose`]: when a compile fails, the first file the compiler rejects and its
//!    messages.

mod compile;
mod diagnose;
mod pch;
mod platform_hpp;
mod probes;
mod sodium;

use std::fs;
use std::path::{Path, PathBuf};

use crate::{fail, Ctx};
use sodium::Sodium;

/// What the vendored build produced.
pub(crate) struct Built {
    /// The directory holding the static libzmq archive.
    pub lib_dir: PathBuf,
    /// Whether libzmq was compiled with CURVE (through libsodium).
    pub curve: bool,
}

/// The include directory of the bundled libzmq (it holds `zmq.h`), after checking that
/// the bundled sources are there.
pub(crate) fn include_dir(ctx: &Ctx) -> PathBuf {
    let include = ctx.vendor_dir.join("include");
    if !include.join("zmq.h").is_file() || !ctx.vendor_dir.join("src").join("zmq.cpp").is_file() {
        fail(&format!(
            "the `vendored` feature needs the bundled libzmq sources, but {} does not hold \
             include/zmq.h and src/zmq.cpp.\n\
             Restore the vendor/libzmq tree, or set LIBZMQ_NO_VENDOR=1 to link a system libzmq.",
            ctx.vendor_dir.display()
        ));
    }
    include
}

/// Compile libzmq (and libsodium, for CURVE) and emit the link directives.
pub(crate) fn build(ctx: &Ctx) -> Built {
    let include = include_dir(ctx);
    let config_dir = ctx.out_dir.join("include-config");
    let sodium_config_dir = ctx.out_dir.join("include-sodium");
    let lib_dir = ctx.out_dir.join("lib");
    let probe_dir = ctx.out_dir.join("probes");
    for dir in [&config_dir, &sodium_config_dir, &lib_dir, &probe_dir] {
        if let Err(e) = fs::create_dir_all(dir) {
            fail(&format!("could not create {}: {e}", dir.display()));
        }
    }

    let sodium = ctx.curve.then(|| sodium::choose(ctx));
    let sodium_c = match sodium {
        Some(Sodium::Bundled) => Some(sodium::c_build(ctx)),
        _ => None,
    };

    let mut cxx = compile::cxx_build(ctx);
    let tool = compiler(ctx, &cxx, "C++", "g++");
    // Warnings on for the C probes: see `probes::ProbeSet::tool`.
    let sodium_tool = sodium_c.as_ref().map(|c| {
        let mut probing = c.clone();
        probing.warnings(true);
        compiler(ctx, &probing, "C", "gcc")
    });
    if tool.is_like_msvc() {
        // C++ exceptions (libzmq catches std::bad_alloc), as CMake's MSVC default.
        cxx.flag("/EHsc");
    }

    let mut sets = vec![probes::ProbeSet {
        library: "libzmq",
        tool: &tool,
        extension: "cpp",
        probes: probes::LIBZMQ,
    }];
    if let Some(tool) = &sodium_tool {
        sets.push(probes::ProbeSet {
            library: "libsodium",
            tool,
            extension: "c",
            probes: sodium::PROBES,
        });
    }
    let results = probes::run(ctx, &probe_dir, &sets);
    let defines = platform_hpp::platform_defines(ctx, &results[0], sodium.as_ref());
    platform_hpp::write_platform_hpp(ctx, &config_dir.join("platform.hpp"), &results[0], &defines);

    cxx.include(&config_dir)
        .include(ctx.vendor_dir.join("src"))
        .include(&include);
    let mut sodium_objects = Vec::new();
    let mut sodium_link = Vec::new();
    match (&sodium, sodium_c) {
        (Some(Sodium::Bundled), Some(c)) => {
            sodium_objects = sodium::compile(ctx, c, &results[1], &sodium_config_dir);
            // The generated sodium/version.h includes "export.h" from its own
            // directory, which is not the rest of libsodium's: hence the last one.
            let own = sodium::source_dir(ctx).join("include");
            cxx.include(&sodium_config_dir)
                .include(&own)
                .include(own.join("sodium"));
        }
        (
            Some(Sodium::System {
                include_dirs, link, ..
            }),
            _,
        ) => {
            cxx.includes(include_dirs);
            sodium_link.clone_from(link);
        }
        _ => {}
    }
    compile::compile_libzmq(ctx, cxx, &lib_dir, sodium_objects);
    // A system libsodium after libzmq on the link line, which uses it.
    for line in sodium_link {
        println!("{line}");
    }

    Built {
        lib_dir,
        curve: sodium.is_some(),
    }
}

/// The compiler `build` will use (`language` and a typical name, for the message).
fn compiler(ctx: &Ctx, build: &cc::Build, language: &str, typical: &str) -> cc::Tool {
    build.try_get_compiler().unwrap_or_else(|e| {
        fail(&format!(
            "could not find a {language} compiler for {} to build the bundled libzmq: {e}\n\
             Install one (Debian/Ubuntu: `apt-get install {typical}`), set {}, or set \
             LIBZMQ_NO_VENDOR=1 to link a system libzmq.",
            ctx.target,
            if language == "C" { "CC" } else { "CXX" }
        ))
    })
}

/// The settings shared by everything the vendored build compiles (libzmq's C++ and
/// C, libsodium's C, and the probes of both).
fn base_build(ctx: &Ctx) -> cc::Build {
    let mut b = cc::Build::new();
    // Third-party code: its warnings are not actionable for our users, so keep the
    // build output clean (the compiler gets its "no warnings" flag, and cc does not
    // forward anything as `cargo:warning`). A failed compile is diagnosed separately.
    b.warnings(false)
        .extra_warnings(false)
        .cargo_warnings(false);
    // libzmq and libsodium are always compiled optimised, even in a dev profile: they
    // are the hot path of every message, an -O0 libzmq is several times slower (tests
    // and examples crawl), users debug their Rust code rather than libzmq, and the
    // build script only reruns when the sources change, so the extra compile time is
    // paid once. A profile's own -O2/-O3/-Os/-Oz is kept.
    let opt = std::env::var("OPT_LEVEL").unwrap_or_default();
    if opt == "0" || opt == "1" {
        b.opt_level(2);
    }
    // The feature-test macros upstream's CMake (libzmq) and configure (libsodium) set
    // per OS.
    let os_source = match ctx.target_os.as_str() {
        "linux" | "android" | "hurd" | "cygwin" => Some(("_GNU_SOURCE", None)),
        "freebsd" | "dragonfly" => Some(("__BSD_VISIBLE", Some("1"))),
        "netbsd" => Some(("_NETBSD_SOURCE", None)),
        "openbsd" => Some(("_OPENBSD_SOURCE", None)),
        "solaris" | "illumos" => Some(("_PTHREADS", None)),
        _ if ctx.target_vendor == "apple" => Some(("_DARWIN_C_SOURCE", None)),
        _ => None,
    };
    if let Some((name, value)) = os_source {
        b.define(name, value);
    }
    b
}

fn write_file(path: &Path, contents: &str) {
    if let Err(e) = fs::write(path, contents) {
        fail(&format!("could not write {}: {e}", path.display()));
    }
}
