//! Every file stagesim writes goes through here: a temporary file in the same directory,
//! written in full, flushed to disk (`fsync`), then renamed over the target. A reader sees
//! the previous file or the new one, never a torn one; a failed write (full disk, file size
//! limit, no permission) leaves the previous file as it was and says "cannot write PATH".
//!
//! A set of files that belong together (a journey report) is written into a temporary sibling
//! directory and swapped in with two renames, so a reader never sees a mix of two runs.
//! Appending to a file someone else owns (`$GITHUB_STEP_SUMMARY`) is not a write of a whole
//! file and does not come here.

use crate::diag::Error;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes temporary names within one process (the pid distinguishes processes).
static SERIAL: AtomicU64 = AtomicU64::new(0);

fn cannot(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Write { path: path.display().to_string(), source }
}

/// The directory a path lives in (`.` for a bare file name).
fn parent_of(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// A hidden sibling of `path` no other writer uses.
fn temp_sibling(path: &Path, what: &str) -> PathBuf {
    let name = path.file_name().map_or("out".into(), |n| n.to_string_lossy().into_owned());
    let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
    parent_of(path).join(format!(".{name}.{what}-{}-{serial}", std::process::id()))
}

/// Makes the directory entry of a rename durable; not every platform can open a directory,
/// and the data itself is already on disk, so a failure here is not reported.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = OpenOptions::new().write(true).create_new(true).open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Replaces `path` with `bytes` atomically, creating its directory if needed.
pub fn write(path: impl AsRef<Path>, bytes: impl AsRef<[u8]>) -> Result<(), Error> {
    let path = path.as_ref();
    let dir = parent_of(path);
    std::fs::create_dir_all(dir).map_err(cannot(path))?;
    if path.is_dir() {
        let source = std::io::Error::other("it is a directory");
        return Err(Error::Write { path: path.display().to_string(), source });
    }
    let tmp = temp_sibling(path, "tmp");
    let done = write_new(&tmp, bytes.as_ref()).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = done {
        let _ = std::fs::remove_file(&tmp);
        return Err(cannot(path)(e));
    }
    sync_dir(dir);
    Ok(())
}

/// Replaces the directory `dir` with exactly `files` (names and contents), as a whole.
///
/// An existing `dir` may only hold what `replaceable` accepts (the files a previous run of
/// the same writer left): a directory with anything else in it is refused rather than swapped
/// away, so `--out .` cannot remove a project.
pub fn write_set(
    dir: impl AsRef<Path>,
    files: &[(String, Vec<u8>)],
    replaceable: &dyn Fn(&str) -> bool,
) -> Result<(), Error> {
    let dir = dir.as_ref();
    check_set_target(dir, replaceable)?;
    std::fs::create_dir_all(parent_of(dir)).map_err(cannot(dir))?;
    let fresh = temp_sibling(dir, "new");
    let filled = std::fs::create_dir(&fresh).and_then(|()| {
        files.iter().try_for_each(|(name, bytes)| write_new(&fresh.join(name), bytes)).map(|()| sync_dir(&fresh))
    });
    if let Err(e) = filled {
        let _ = std::fs::remove_dir_all(&fresh);
        return Err(cannot(dir)(e));
    }
    swap_in(&fresh, dir)
}

/// Whether `write_set` could replace `dir`: call it before long work, to refuse at once.
pub fn check_set_target(dir: impl AsRef<Path>, replaceable: &dyn Fn(&str) -> bool) -> Result<(), Error> {
    let dir = dir.as_ref();
    if dir.exists() && !dir.is_dir() {
        return Err(Error::Write { path: dir.display().to_string(), source: std::io::Error::other("it is a file") });
    }
    if dir.exists() {
        refuse_foreign(dir, replaceable)?;
    }
    Ok(())
}

fn refuse_foreign(dir: &Path, replaceable: &dyn Fn(&str) -> bool) -> Result<(), Error> {
    let entries = std::fs::read_dir(dir).map_err(cannot(dir))?;
    let mut foreign = Vec::new();
    for e in entries {
        let e = e.map_err(cannot(dir))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if !(replaceable(&name) && e.file_type().is_ok_and(|t| t.is_file())) {
            foreign.push(name);
        }
    }
    if foreign.is_empty() {
        return Ok(());
    }
    foreign.sort();
    let source = std::io::Error::other(format!(
        "it holds files this report does not write ({}); choose an empty directory or a previous report's",
        foreign.join(", ")
    ));
    Err(Error::Write { path: dir.display().to_string(), source })
}

/// Moves the old directory aside, the new one in, and removes the old one; if the second
/// rename fails, the old directory goes back.
fn swap_in(fresh: &Path, dir: &Path) -> Result<(), Error> {
    let old = temp_sibling(dir, "old");
    let had_old = dir.exists();
    if had_old {
        if let Err(e) = std::fs::rename(dir, &old) {
            let _ = std::fs::remove_dir_all(fresh);
            return Err(cannot(dir)(e));
        }
    }
    if let Err(e) = std::fs::rename(fresh, dir) {
        if had_old {
            let _ = std::fs::rename(&old, dir);
        }
        let _ = std::fs::remove_dir_all(fresh);
        return Err(cannot(dir)(e));
    }
    sync_dir(parent_of(dir));
    if had_old {
        let _ = std::fs::remove_dir_all(&old);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("stagesim-output-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn replaces_a_file_and_leaves_no_temporary_behind() {
        let d = scratch("file");
        let p = d.join("sub/a.json");
        write(&p, "one").unwrap();
        write(&p, "two").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "two");
        assert_eq!(names(&d.join("sub")), ["a.json"]);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_failed_write_keeps_the_previous_file_and_says_cannot_write() {
        let d = scratch("fail");
        std::fs::write(d.join("blocker"), "a file where a directory is expected").unwrap();
        let e = write(d.join("blocker/a.json"), "x").unwrap_err();
        assert_eq!(e.exit_code(), 4);
        assert!(e.to_string().starts_with("cannot write"), "{e}");
        std::fs::create_dir(d.join("adir")).unwrap();
        let e = write(d.join("adir"), "x").unwrap_err();
        assert!(e.to_string().contains("it is a directory"), "{e}");
        assert_eq!(std::fs::read_to_string(d.join("blocker")).unwrap(), "a file where a directory is expected");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_set_is_replaced_as_a_whole_and_foreign_directories_are_refused() {
        let d = scratch("set");
        let out = d.join("report");
        let set =
            |a: &str| vec![("a.md".to_string(), a.as_bytes().to_vec()), ("b.svg".to_string(), b"<svg/>".to_vec())];
        let ours = |n: &str| n.ends_with(".md") || n.ends_with(".svg") || n == "stale.svg";
        write_set(&out, &set("one"), &ours).unwrap();
        std::fs::write(out.join("stale.svg"), "from an older run").unwrap();
        write_set(&out, &set("two"), &ours).unwrap();
        assert_eq!(names(&out), ["a.md", "b.svg"], "the old set is gone as a whole");
        assert_eq!(std::fs::read_to_string(out.join("a.md")).unwrap(), "two");
        assert_eq!(names(&d), ["report"], "no temporary directory is left");
        std::fs::write(out.join("notes.txt"), "mine").unwrap();
        let e = write_set(&out, &set("three"), &ours).unwrap_err();
        assert!(e.to_string().contains("notes.txt"), "{e}");
        assert_eq!(std::fs::read_to_string(out.join("a.md")).unwrap(), "two");
        let _ = std::fs::remove_dir_all(&d);
    }
}
