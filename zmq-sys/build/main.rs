//! Build script of `zmq-sys`: chooses where libzmq comes from, links it, and tells
//! dependents what was linked.
//!
//! * **Mode.** `LIBZMQ_NO_VENDOR` set (not empty, not `0`) selects the system libzmq and
//!   beats the `vendored` feature; otherwise the `vendored` feature compiles the bundled
//!   libzmq 4.3.5 with `cc` ([`vendored`]); otherwise the system libzmq is used
//!   ([`system`]). A mode that cannot be satisfied is an error, never a silent fallback.
//! * **Variables.** Every configuration variable is read through [`env`], which prefers
//!   the target-specific spelling (`X86_64_UNKNOWN_LINUX_GNU_LIBZMQ_NO_VENDOR`) over the
//!   plain one (`LIBZMQ_NO_VENDOR`): `LIBZMQ_NO_VENDOR`, `LIBZMQ_LIB_DIR`,
//!   `LIBZMQ_INCLUDE_DIR`, `LIBZMQ_STATIC`, `CXXSTDLIB`.
//! * **Version.** Read from the `zmq.h` the C preprocessor actually finds; below 4.3 is
//!   refused.
//! * **Metadata** (seen by dependents' build scripts as `DEP_ZMQ_*`): `version`,
//!   `version_number`, `vendored`, `draft`, `curve`, `include`, and `lib` (vendored
//!   mode). cfgs for `src/lib.rs`: `zmq_sys_vendored`, `zmq_sys_bindgen`.
//!
//! Failures print one message to stderr and exit with status 1.

mod parallel;
mod system;
mod vendored;

#[cfg(feature = "bindgen")]
#[path = "bindgen_config.rs"]
mod bindgen_config;

use std::env::VarError;
use std::path::{Path, PathBuf};

/// The oldest libzmq this crate's declarations are written for.
const MIN_VERSION: (u32, u32) = (4, 3);

/// Print `message` (one message, possibly several lines) and stop the build.
pub(crate) fn fail(message: &str) -> ! {
    eprintln!("\nerror: zmq-sys: {}\n", message.trim_end());
    std::process::exit(1);
}

/// A variable cargo sets for every build script; its absence is a broken environment.
fn cargo_var(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) => v,
        Err(VarError::NotPresent) => fail(&format!(
            "cargo did not set {name}; this build script must be run by cargo"
        )),
        Err(VarError::NotUnicode(_)) => fail(&format!("{name} is not valid UTF-8")),
    }
}

/// A user configuration variable: `<TARGET>_<NAME>` first, then `<NAME>`, with a
/// `rerun-if-env-changed` for both. `TARGET` is upper-cased, `-` and `.` become `_`.
pub(crate) fn env(name: &str) -> Option<String> {
    let target = cargo_var("TARGET").to_uppercase().replace(['-', '.'], "_");
    let target_name = format!("{target}_{name}");
    println!("cargo:rerun-if-env-changed={target_name}");
    println!("cargo:rerun-if-env-changed={name}");
    for key in [&target_name, name] {
        match std::env::var(key) {
            Ok(v) => return Some(v),
            Err(VarError::NotPresent) => {}
            Err(VarError::NotUnicode(v)) => fail(&format!(
                "{key} is not valid UTF-8: {}",
                v.to_string_lossy()
            )),
        }
    }
    None
}

/// A yes/no variable: set, not empty and not `0` means yes.
pub(crate) fn env_flag(name: &str) -> bool {
    matches!(env(name), Some(v) if !v.is_empty() && v != "0")
}

/// What the build script knows about the build, read once from cargo's variables.
pub(crate) struct Ctx {
    pub target: String,
    pub target_os: String,
    pub target_env: String,
    pub target_vendor: String,
    pub unix: bool,
    pub windows: bool,
    pub out_dir: PathBuf,
    pub manifest_dir: PathBuf,
    /// The libzmq 4.3.5 tree, `vendor/libzmq`.
    pub vendor_dir: PathBuf,
    /// The libsodium tree, `vendor/libsodium`.
    pub sodium_dir: PathBuf,
    pub big_endian: bool,
    pub vendored_feature: bool,
    pub curve: bool,
    pub draft: bool,
}

impl Ctx {
    fn from_cargo() -> Ctx {
        let manifest_dir = PathBuf::from(cargo_var("CARGO_MANIFEST_DIR"));
        let families = std::env::var("CARGO_CFG_TARGET_FAMILY").unwrap_or_default();
        let family = |f: &str| families.split(',').any(|x| x == f);
        // The bundled trees: `vendor/` next to `Cargo.toml` (a packaged crate, or the
        // `zmq-sys/vendor` link in this repository), else the workspace root's (a
        // checkout where the link is not a link, as Git on Windows may leave it).
        let packaged = manifest_dir.join("vendor");
        let vendor_root = if packaged
            .join("libzmq")
            .join("include")
            .join("zmq.h")
            .is_file()
        {
            packaged
        } else {
            let root = manifest_dir.parent().unwrap_or(&manifest_dir);
            root.join("vendor")
        };
        Ctx {
            target: cargo_var("TARGET"),
            target_os: cargo_var("CARGO_CFG_TARGET_OS"),
            target_env: std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default(),
            target_vendor: std::env::var("CARGO_CFG_TARGET_VENDOR").unwrap_or_default(),
            unix: family("unix"),
            windows: family("windows"),
            out_dir: PathBuf::from(cargo_var("OUT_DIR")),
            manifest_dir,
            vendor_dir: vendor_root.join("libzmq"),
            sodium_dir: vendor_root.join("libsodium"),
            big_endian: std::env::var("CARGO_CFG_TARGET_ENDIAN").as_deref() == Ok("big"),
            // Cargo compiles the build script with the package's features as cfgs.
            vendored_feature: cfg!(feature = "vendored"),
            curve: cfg!(feature = "curve"),
            draft: cfg!(feature = "draft"),
        }
    }
}

/// Why the system libzmq is used; the failure message says how to change it.
pub(crate) enum SystemReason {
    /// `LIBZMQ_NO_VENDOR` is set, and beats the `vendored` feature.
    NoVendorVar { vendored_feature: bool },
    /// The `vendored` feature is off.
    FeatureOff,
}

enum Mode {
    Vendored,
    System(SystemReason),
}

fn choose_mode(ctx: &Ctx) -> Mode {
    if env_flag("LIBZMQ_NO_VENDOR") {
        Mode::System(SystemReason::NoVendorVar {
            vendored_feature: ctx.vendored_feature,
        })
    } else if ctx.vendored_feature {
        Mode::Vendored
    } else {
        Mode::System(SystemReason::FeatureOff)
    }
}

/// The version numbers and location of the `zmq.h` the compiler finds.
struct Header {
    major: u32,
    minor: u32,
    patch: u32,
    /// The directory holding that `zmq.h`.
    dir: PathBuf,
}

impl Header {
    fn version(&self) -> String {
        format!("{}.{}.{}", self.major, self.minor, self.patch)
    }
    fn version_number(&self) -> u32 {
        self.major * 10000 + self.minor * 100 + self.patch
    }
}

/// Preprocess `probes/version.c` with `include_dirs` (plus the compiler's default
/// search path) and read the version numbers and the path of `zmq.h` from the output.
fn read_header(ctx: &Ctx, include_dirs: &[PathBuf]) -> Header {
    let probe = ctx
        .manifest_dir
        .join("build")
        .join("probes")
        .join("version.c");
    let searched = || {
        if include_dirs.is_empty() {
            "the compiler's default include path".to_string()
        } else {
            let dirs: Vec<String> = include_dirs
                .iter()
                .map(|d| d.display().to_string())
                .collect();
            format!(
                "{} and the compiler's default include path",
                dirs.join(", ")
            )
        }
    };
    let out = cc::Build::new()
        .cargo_metadata(false)
        .cargo_warnings(false)
        .warnings(false)
        .includes(include_dirs)
        .file(&probe)
        .try_expand();
    let out = match out {
        Ok(o) => String::from_utf8_lossy(&o).into_owned(),
        Err(e) => fail(&format!(
            "could not preprocess zmq.h to read its version (searched {}):\n  {e}",
            searched()
        )),
    };
    let (major, minor, patch) = match version_numbers(&out).as_deref() {
        Some(&[major, minor, patch]) => (major, minor, patch),
        _ => fail(&format!(
            "the zmq.h found in {} does not define ZMQ_VERSION_MAJOR/MINOR/PATCH as numbers",
            searched()
        )),
    };
    let dir = header_dir_from_line_markers(&out)
        .or_else(|| {
            include_dirs
                .iter()
                .find(|d| d.join("zmq.h").is_file())
                .cloned()
        })
        .unwrap_or_else(|| {
            fail(&format!(
                "could not tell where the zmq.h found in {} lives",
                searched()
            ))
        });
    Header {
        major,
        minor,
        patch,
        dir,
    }
}

/// The three words after the `ZMQ_SYS_VERSION` marker, as numbers. GCC may break the
/// expansion of a system header's macros onto following lines, between line markers,
/// so the words are collected across lines, skipping the `#` ones.
fn version_numbers(preprocessed: &str) -> Option<Vec<u32>> {
    let mut lines = preprocessed.lines();
    let mut words: Vec<&str> = lines.by_ref().find_map(|line| {
        let mut w = line.split_whitespace();
        (w.next() == Some("ZMQ_SYS_VERSION")).then(|| w.collect())
    })?;
    for line in lines {
        if words.len() >= 3 {
            break;
        }
        if !line.trim_start().starts_with('#') {
            words.extend(line.split_whitespace());
        }
    }
    words.iter().take(3).map(|w| w.parse().ok()).collect()
}

/// The directory of `zmq.h` as named by the preprocessor's line markers
/// (`# 1 "/usr/include/zmq.h" 1 3 4` for GCC and Clang, `#line 1 "C:\\...\\zmq.h"` for MSVC).
fn header_dir_from_line_markers(preprocessed: &str) -> Option<PathBuf> {
    preprocessed.lines().find_map(|line| {
        let line = line.trim_start();
        if !line.starts_with('#') {
            return None;
        }
        let start = line.find('"')? + 1;
        let end = start + line[start..].find('"')?;
        let path = line[start..end].replace("\\\\", "\\");
        let path = Path::new(&path);
        if path.file_name()? == "zmq.h" {
            Some(path.parent()?.to_path_buf())
        } else {
            None
        }
    })
}

fn check_version(header: &Header, reason: &str) {
    if (header.major, header.minor) < MIN_VERSION {
        fail(&format!(
            "libzmq >= {}.{} is needed, but the zmq.h {reason} ({}) is version {}.\n\
             Ways out:\n  \
             - enable the `vendored` feature (and leave LIBZMQ_NO_VENDOR unset) to build the bundled libzmq 4.3.5;\n  \
             - or install a newer libzmq, or point LIBZMQ_LIB_DIR and LIBZMQ_INCLUDE_DIR at one.",
            MIN_VERSION.0,
            MIN_VERSION.1,
            header.dir.join("zmq.h").display(),
            header.version()
        ));
    }
}

#[cfg(feature = "bindgen")]
fn generate_bindings(ctx: &Ctx, include_dir: &Path) {
    let out = ctx.out_dir.join("bindings.rs");
    // bindgen panics when it cannot load libclang; turn that into the one clear message.
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let generated = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        bindgen_config::builder(include_dir, ctx.draft).generate()
    }));
    std::panic::set_hook(previous_hook);
    let bindings = match generated {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => fail(&format!(
            "bindgen could not generate the declarations from {}: {e}",
            include_dir.join("zmq.h").display()
        )),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown error".to_string());
            fail(&format!(
                "the `bindgen` feature failed: {what}.\n\
                 It needs libclang: install it (Debian/Ubuntu: `apt-get install libclang-dev`) or set \
                 LIBCLANG_PATH, or drop the `bindgen` feature (the committed declarations need no libclang)."
            ))
        }
    };
    if let Err(e) = bindings.write_to_file(&out) {
        fail(&format!("could not write {}: {e}", out.display()));
    }
    println!("cargo:rustc-cfg=zmq_sys_bindgen");
}

fn main() {
    let ctx = Ctx::from_cargo();

    println!(
        "cargo:rerun-if-changed={}",
        ctx.manifest_dir.join("build").display()
    );
    for dir in [
        ctx.vendor_dir.join("include"),
        ctx.vendor_dir.join("src"),
        ctx.vendor_dir.join("external"),
        ctx.sodium_dir.join("src"),
        ctx.sodium_dir.join("configure.ac"),
    ] {
        if dir.exists() {
            println!("cargo:rerun-if-changed={}", dir.display());
        }
    }
    // Single-colon spelling: the crate's rust-version predates `cargo::`.
    println!("cargo:rustc-check-cfg=cfg(zmq_sys_vendored)");
    println!("cargo:rustc-check-cfg=cfg(zmq_sys_bindgen)");

    let (header, vendored, lib_dir, curve) = match choose_mode(&ctx) {
        Mode::Vendored => {
            let include_dir = vendored::include_dir(&ctx);
            // Read (and check) the version before spending minutes compiling libzmq.
            let header = read_header(&ctx, &[include_dir]);
            check_version(&header, "bundled with zmq-sys");
            let built = vendored::build(&ctx);
            let curve = if built.curve { "1" } else { "0" };
            (header, true, Some(built.lib_dir), curve)
        }
        Mode::System(reason) => {
            let include_dirs = system::find(&ctx, &reason);
            let header = read_header(&ctx, &include_dirs);
            check_version(&header, "of the system libzmq");
            // Whether a system libzmq has CURVE is only known at run time (zmq_has).
            (header, false, None, "unknown")
        }
    };

    println!("cargo:version={}", header.version());
    println!("cargo:version_number={}", header.version_number());
    println!("cargo:vendored={}", u8::from(vendored));
    println!("cargo:draft={}", u8::from(ctx.draft));
    println!("cargo:curve={curve}");
    println!("cargo:include={}", header.dir.display());
    if let Some(lib_dir) = &lib_dir {
        println!("cargo:lib={}", lib_dir.display());
    }
    if vendored {
        println!("cargo:rustc-cfg=zmq_sys_vendored");
    }
    println!("cargo:rustc-env=ZMQ_SYS_VERSION={}", header.version());

    #[cfg(feature = "bindgen")]
    generate_bindings(&ctx, &header.dir);
}
