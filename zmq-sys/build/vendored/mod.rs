//! Vendored mode: compile the bundled libzmq 4.3.5 with `cc` (no CMake, no autotools)
//! into a static `libzmq` archive in `$OUT_DIR/lib`.
//!
//! The steps, one module each:
//! 1. [`probes`]: small C++ snippets compiled with the *target* compiler and libzmq's
//!    flags, so a cross build describes the target, not the build machine;
//! 2. [`platform_hpp`]: the configuration header libzmq reads, decided from the
//!    probes, the target and the features;
//! 3. [`compile`]: the `cc` build of libzmq's sources and its link directives;
//! 4. [`diagnose`]: when that compile fails, the first file the compiler rejects and
//!    its messages.

mod compile;
mod diagnose;
mod platform_hpp;
mod probes;

use std::fs;
use std::path::{Path, PathBuf};

use crate::{fail, Ctx};

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

/// Compile libzmq and emit its link directives.
pub(crate) fn build(ctx: &Ctx) -> Built {
    let include = include_dir(ctx);
    let config_dir = ctx.out_dir.join("include-config");
    let lib_dir = ctx.out_dir.join("lib");
    let probe_dir = ctx.out_dir.join("probes");
    for dir in [&config_dir, &lib_dir, &probe_dir] {
        if let Err(e) = fs::create_dir_all(dir) {
            fail(&format!("could not create {}: {e}", dir.display()));
        }
    }

    // libzmq 4.3.5 has no bundled tweetnacl: CURVE exists only through libsodium, whose
    // static build `libsodium-sys-stable` exports its headers as DEP_SODIUM_INCLUDE.
    let sodium_include = if ctx.curve {
        let dir = std::env::var_os("DEP_SODIUM_INCLUDE").map(PathBuf::from);
        match dir {
            Some(dir) if dir.join("sodium.h").is_file() => Some(dir),
            Some(dir) => fail(&format!(
                "the `curve` feature needs libsodium's headers, but DEP_SODIUM_INCLUDE={} holds no sodium.h",
                dir.display()
            )),
            None => fail(
                "the `curve` feature needs libsodium's headers, but libsodium-sys-stable did not export \
                 DEP_SODIUM_INCLUDE (it does not when SODIUM_LIB_DIR points at a prebuilt libsodium).\n\
                 Unset SODIUM_LIB_DIR so it builds its static libsodium, or disable the `curve` feature.",
            ),
        }
    } else {
        None
    };

    let mut cxx = compile::cxx_build(ctx);
    let tool = match cxx.try_get_compiler() {
        Ok(t) => t,
        Err(e) => fail(&format!(
            "could not find a C++ compiler for {} to build the bundled libzmq: {e}\n\
             Install one (Debian/Ubuntu: `apt-get install g++`), set CXX, or set \
             LIBZMQ_NO_VENDOR=1 to link a system libzmq.",
            ctx.target
        )),
    };
    if tool.is_like_msvc() {
        // C++ exceptions (libzmq catches std::bad_alloc), as CMake's MSVC default.
        cxx.flag("/EHsc");
    }

    let results = probes::run_probes(ctx, &tool, &probe_dir);
    let defines = platform_hpp::platform_defines(ctx, &results);
    platform_hpp::write_platform_hpp(ctx, &config_dir.join("platform.hpp"), &results, &defines);

    cxx.include(&config_dir)
        .include(ctx.vendor_dir.join("src"))
        .include(&include);
    if let Some(dir) = &sodium_include {
        cxx.include(dir);
    }
    compile::compile_libzmq(ctx, cxx, &lib_dir);

    Built {
        lib_dir,
        curve: sodium_include.is_some(),
    }
}

fn write_file(path: &Path, contents: &str) {
    if let Err(e) = fs::write(path, contents) {
        fail(&format!("could not write {}: {e}", path.display()));
    }
}
