//! What to show when the compile of the bundled sources fails: cc's own output is
//! switched off (third-party warnings are not actionable), so find the first file
//! the compiler rejects and show its messages.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use super::probes::{compile_check, Outcome};
use crate::parallel::parallel_map;
use crate::{fail, Ctx};

/// The first `max` lines of `text`, indented.
pub(super) fn indent(text: &str, max: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = lines.iter().take(max).map(|l| format!("    {l}")).collect();
    if lines.len() > max {
        out.push(format!("    ... ({} more lines)", lines.len() - max));
    }
    out.join("\n")
}

/// Compiling `library`'s `files` failed with cc's output switched off: find the first
/// file the compiler rejects (compiled again one by one, in parallel, stopping early,
/// objects into `$OUT_DIR/diagnose`) and show its messages.
pub(super) fn compile_failed(
    ctx: &Ctx,
    library: &str,
    error: &cc::Error,
    tool: Option<&cc::Tool>,
    files: &[PathBuf],
) -> ! {
    let mut detail = String::new();
    let scratch = ctx.out_dir.join("diagnose");
    if let (Some(tool), Ok(())) = (tool, std::fs::create_dir_all(&scratch)) {
        let stop = AtomicBool::new(false);
        let indexed: Vec<(usize, &PathBuf)> = files.iter().enumerate().collect();
        let outcomes = parallel_map(&indexed, |&(i, file)| {
            if stop.load(Ordering::Relaxed) {
                return None;
            }
            match compile_check(tool, file, &scratch.join(format!("{i}.o"))) {
                Outcome::Rejected(text) => {
                    stop.store(true, Ordering::Relaxed);
                    Some((file.clone(), text))
                }
                _ => None,
            }
        });
        if let Some((file, text)) = outcomes.into_iter().flatten().next() {
            detail = format!(
                "\nThe compiler rejects {}:\n{}",
                file.display(),
                indent(&text, 40)
            );
        }
    }
    fail(&format!(
        "compiling the bundled {library} failed: {error}{detail}\n\
         Set LIBZMQ_NO_VENDOR=1 to link a system libzmq instead."
    ))
}
