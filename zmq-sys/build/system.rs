//! System mode: link a libzmq installed on the machine.
//!
//! `LIBZMQ_LIB_DIR` + `LIBZMQ_INCLUDE_DIR` (both, or neither) name an installation
//! directly; otherwise `pkg-config` looks for `libzmq >= 4.3`. `LIBZMQ_STATIC` asks for
//! static linking. Nothing falls back to the vendored build: a failure stops the build
//! with one message saying what was tried and how to get out.

use std::path::{Path, PathBuf};

use crate::{env, env_flag, fail, Ctx, SystemReason};

/// Find the system libzmq, emit its link directives, and return the include
/// directories to compile against (empty when `zmq.h` is on the default path).
pub(crate) fn find(ctx: &Ctx, reason: &SystemReason) -> Vec<PathBuf> {
    let lib_dir = env("LIBZMQ_LIB_DIR").filter(|v| !v.is_empty());
    let include_dir = env("LIBZMQ_INCLUDE_DIR").filter(|v| !v.is_empty());
    let statik = env_flag("LIBZMQ_STATIC");
    match (lib_dir, include_dir) {
        (Some(lib), Some(include)) => {
            from_dirs(ctx, reason, Path::new(&lib), Path::new(&include), statik)
        }
        (Some(lib), None) => not_found(
            reason,
            &format!(
                "LIBZMQ_LIB_DIR={lib}, but LIBZMQ_INCLUDE_DIR is not set (the two go together)"
            ),
        ),
        (None, Some(include)) => not_found(
            reason,
            &format!(
                "LIBZMQ_INCLUDE_DIR={include}, but LIBZMQ_LIB_DIR is not set (the two go together)"
            ),
        ),
        (None, None) => from_pkg_config(reason, statik),
    }
}

fn from_pkg_config(reason: &SystemReason, statik: bool) -> Vec<PathBuf> {
    let mut config = pkg_config::Config::new();
    config.atleast_version("4.3").statik(statik);
    match config.probe("libzmq") {
        Ok(lib) => lib.include_paths,
        Err(e) => {
            let text = e.to_string();
            let text: Vec<String> = text
                .trim()
                .lines()
                .map(|l| {
                    if l.trim().is_empty() {
                        String::new()
                    } else {
                        format!("    {l}")
                    }
                })
                .collect();
            not_found(
                reason,
                &format!(
                    "pkg-config, for libzmq >= 4.3{}:\n{}",
                    if statik {
                        " (static, LIBZMQ_STATIC is set)"
                    } else {
                        ""
                    },
                    text.join("\n")
                ),
            )
        }
    }
}

fn from_dirs(
    ctx: &Ctx,
    reason: &SystemReason,
    lib_dir: &Path,
    include_dir: &Path,
    statik: bool,
) -> Vec<PathBuf> {
    let tried = |what: &str| {
        format!(
            "LIBZMQ_LIB_DIR={} and LIBZMQ_INCLUDE_DIR={}: {what}",
            lib_dir.display(),
            include_dir.display()
        )
    };
    if !include_dir.join("zmq.h").is_file() {
        not_found(reason, &tried("there is no zmq.h in LIBZMQ_INCLUDE_DIR"));
    }
    if !lib_dir.is_dir() {
        not_found(reason, &tried("LIBZMQ_LIB_DIR is not a directory"));
    }
    let candidates = library_files(ctx, statik);
    if !candidates.iter().any(|f| lib_dir.join(f).exists()) {
        not_found(
            reason,
            &tried(&format!(
                "LIBZMQ_LIB_DIR holds none of {} ({} linking{})",
                candidates.join(", "),
                if statik { "static" } else { "dynamic" },
                if statik { ", LIBZMQ_STATIC is set" } else { "" }
            )),
        );
    }

    println!("cargo:rustc-link-search=native={}", lib_dir.display());
    if statik {
        println!("cargo:rustc-link-lib=static=zmq");
        // A static libzmq brings its dependencies: the C++ runtime, threads, and on
        // Windows the socket and interface libraries.
        if let Some(stdlib) = cxx_stdlib(ctx) {
            println!("cargo:rustc-link-lib={stdlib}");
        }
        if ctx.unix && ctx.target_os != "android" {
            println!("cargo:rustc-link-lib=pthread");
        }
        if ctx.windows {
            for lib in ["ws2_32", "iphlpapi", "rpcrt4"] {
                println!("cargo:rustc-link-lib={lib}");
            }
        }
    } else {
        println!("cargo:rustc-link-lib=dylib=zmq");
    }
    vec![include_dir.to_path_buf()]
}

/// File names that `-l zmq` resolves to on this target.
fn library_files(ctx: &Ctx, statik: bool) -> Vec<&'static str> {
    let msvc = ctx.target_env == "msvc";
    match (statik, msvc) {
        (_, true) => vec!["zmq.lib"],
        (true, false) => vec!["libzmq.a"],
        (false, false) if ctx.windows => vec!["libzmq.dll.a", "libzmq.a", "zmq.lib"],
        (false, false) if ctx.target_vendor == "apple" => vec!["libzmq.dylib", "libzmq.tbd"],
        (false, false) => vec!["libzmq.so"],
    }
}

/// The C++ runtime a static libzmq needs: `CXXSTDLIB` if set (empty: none), else the
/// target's usual one.
fn cxx_stdlib(ctx: &Ctx) -> Option<String> {
    if let Some(v) = env("CXXSTDLIB") {
        return if v.is_empty() { None } else { Some(v) };
    }
    let lib = if ctx.target_env == "msvc" {
        return None;
    } else if ctx.target_vendor == "apple"
        || ctx.target_os == "freebsd"
        || ctx.target_os == "openbsd"
    {
        "c++"
    } else if ctx.target_os == "android" {
        "c++_shared"
    } else {
        "stdc++"
    };
    Some(lib.to_string())
}

/// The one failure message of system mode: what was tried, and the ways out.
fn not_found(reason: &SystemReason, tried: &str) -> ! {
    let why = match reason {
        SystemReason::NoVendorVar {
            vendored_feature: true,
        } => "LIBZMQ_NO_VENDOR is set, which overrides the `vendored` feature",
        SystemReason::NoVendorVar {
            vendored_feature: false,
        } => "LIBZMQ_NO_VENDOR is set",
        SystemReason::FeatureOff => "the `vendored` feature is off",
    };
    let vendored_way = match reason {
        SystemReason::NoVendorVar { vendored_feature: true } => {
            "unset LIBZMQ_NO_VENDOR to build the bundled libzmq 4.3.5 (the `vendored` feature is on)"
        }
        SystemReason::NoVendorVar { vendored_feature: false } => {
            "unset LIBZMQ_NO_VENDOR and enable the `vendored` feature (of `zmq`, or `zmq-sys`) \
             to build the bundled libzmq 4.3.5"
        }
        SystemReason::FeatureOff => {
            "enable the `vendored` feature (of `zmq`, or `zmq-sys`) to build the bundled libzmq 4.3.5"
        }
    };
    fail(&format!(
        "could not find a system libzmq (>= 4.3) to link ({why}).\n\
         Tried: {tried}\n\
         Ways out:\n  \
         - install libzmq and pkg-config: `apt-get install libzmq3-dev pkg-config` (Debian/Ubuntu), \
         `dnf install zeromq-devel pkgconf` (Fedora), `brew install zeromq pkg-config` (macOS);\n  \
         - or {vendored_way};\n  \
         - or set LIBZMQ_LIB_DIR (the directory holding the libzmq library) and \
         LIBZMQ_INCLUDE_DIR (the directory holding zmq.h)."
    ))
}
