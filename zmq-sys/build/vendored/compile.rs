//! The `cc` build of libzmq's sources (and the bundled C files it needs), with the
//! flags upstream's CMake uses, and libzmq's link directives.

use std::fs;
use std::path::{Path, PathBuf};

use super::base_build;
use super::diagnose::compile_failed;
use crate::{fail, Ctx};

/// The C++ build of libzmq, before include paths and sources: the shared settings,
/// the language standard and the draft API. The probes use its compiler, so they see
/// exactly the flags libzmq is compiled with.
pub(super) fn cxx_build(ctx: &Ctx) -> cc::Build {
    let mut cxx = libzmq_common(ctx);
    cxx.cpp(true).std(if ctx.target_env == "msvc" {
        "c++14"
    } else {
        "c++11"
    });
    if ctx.draft {
        cxx.define("ZMQ_BUILD_DRAFT_API", "1");
    }
    if static_cxx_runtime(ctx) {
        // Linked below as a static library instead of cc's `-lstdc++`.
        cxx.cpp_link_stdlib(None);
    }
    cxx
}

/// Whether libzmq's C++ runtime is linked statically: with MinGW, where the shared
/// one (`libstdc++-6.dll`, with `libgcc_s_seh-1.dll`) would have to be shipped next
/// to every program, and is not where Windows looks. `CXXSTDLIB` set (by the user)
/// keeps cc's choice.
fn static_cxx_runtime(ctx: &Ctx) -> bool {
    ctx.windows && ctx.target_env == "gnu" && crate::env("CXXSTDLIB").is_none()
}

/// Compile libzmq's sources with `cxx` (configured with its include paths) into
/// `lib_dir/libzmq.a`, archiving `extra_objects` (the bundled libsodium's) with them,
/// and emit the link directives of libzmq's own dependencies.
pub(super) fn compile_libzmq(
    ctx: &Ctx,
    mut cxx: cc::Build,
    lib_dir: &Path,
    extra_objects: Vec<PathBuf>,
) {
    // Sources: every src/*.cpp, sorted. Files for other platforms or for transports
    // that are off (TIPC, VMCI, NORM, PGM, GSSAPI) are wrapped in `#if` and compile to
    // nothing; only the WebSocket ones are not, so they are listed only when enabled.
    let mut cpp_files = list_sources(&ctx.vendor_dir.join("src"));
    cpp_files.retain(|f| {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        !name.starts_with("wss_") && (ctx.draft || !name.starts_with("ws_"))
    });
    let mut c_files = Vec::new();
    if ctx.draft {
        c_files.push(ctx.vendor_dir.join("external").join("sha1").join("sha1.c"));
    }
    if ctx.windows {
        c_files.push(
            ctx.vendor_dir
                .join("external")
                .join("wepoll")
                .join("wepoll.c"),
        );
    }

    super::pch::prepare(ctx, &mut cxx);
    cxx.files(&cpp_files)
        .out_dir(lib_dir)
        .objects(extra_objects);

    // The bundled C files are compiled as C and archived together with the C++ objects.
    if !c_files.is_empty() {
        let mut c = libzmq_common(ctx);
        c.cargo_metadata(false)
            .out_dir(lib_dir.join("c"))
            .files(&c_files);
        match c.try_compile_intermediates() {
            Ok(objects) => {
                cxx.objects(objects);
            }
            Err(e) => {
                let c_tool = c.try_get_compiler().ok();
                compile_failed(ctx, "libzmq", &e, c_tool.as_ref(), &c_files)
            }
        }
    }

    if let Err(e) = cxx.try_compile("zmq") {
        // The compiler as configured for libzmq (with its include paths).
        let configured = cxx.try_get_compiler().ok();
        compile_failed(ctx, "libzmq", &e, configured.as_ref(), &cpp_files);
    }

    // libzmq's own dependencies (cc already linked the archive and, except where it
    // is static, the C++ runtime). The static one is not bundled into the rlib: the
    // final link finds it in the MinGW compiler's own library directory, as it finds
    // libgcc, and places it after libzmq.
    if static_cxx_runtime(ctx) {
        println!("cargo:rustc-link-lib=static:-bundle=stdc++");
    }
    if ctx.unix && ctx.target_os != "android" {
        println!("cargo:rustc-link-lib=pthread");
    }
    if ctx.windows {
        // advapi32: security descriptors (ip.cpp) and libsodium's RtlGenRandom.
        for lib in ["ws2_32", "iphlpapi", "rpcrt4", "advapi32"] {
            println!("cargo:rustc-link-lib={lib}");
        }
    }
}

/// The settings of everything compiled for libzmq (its C++ and its bundled C files):
/// [`base_build`]'s, and the defines upstream's CMake passes.
fn libzmq_common(ctx: &Ctx) -> cc::Build {
    let mut b = base_build(ctx);
    b.define("ZMQ_STATIC", None)
        .define("ZMQ_CUSTOM_PLATFORM_HPP", None)
        .define("_REENTRANT", None)
        .define("_THREAD_SAFE", None);
    if ctx.windows {
        // Windows 10 (afunix.h IPC, the minimum of Rust's tier-1 Windows targets);
        // Windows 7 for the `*-win7-*` targets.
        let winnt = if ctx.target.contains("win7") {
            "0x0601"
        } else {
            "0x0A00"
        };
        b.define("_WIN32_WINNT", winnt)
            .define("FD_SETSIZE", "16384")
            .define("_CRT_SECURE_NO_WARNINGS", None)
            .define("_WINSOCK_DEPRECATED_NO_WARNINGS", None);
    }
    b
}

/// `src/*.cpp`, sorted by name.
fn list_sources(src: &Path) -> Vec<PathBuf> {
    let entries = match fs::read_dir(src) {
        Ok(e) => e,
        Err(e) => fail(&format!("could not list {}: {e}", src.display())),
    };
    let mut files = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => {
                let path = entry.path();
                if path.extension().is_some_and(|x| x == "cpp") {
                    files.push(path);
                }
            }
            Err(e) => fail(&format!("could not list {}: {e}", src.display())),
        }
    }
    files.sort();
    files
}
