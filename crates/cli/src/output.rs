//! Writing results to stdout and files. A closed pipe (`rds-dr ... | head`)
//! ends output quietly instead of panicking.

use std::io::{self, Write};
use std::path::Path;

use crate::error::CliError;

/// Writes `text` to stdout. A broken pipe is not an error.
pub fn stdout(text: &str) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::Other(format!("cannot write to stdout: {e}"))),
    }
}

/// Writes `text` to stdout, adding a final newline if it has none.
pub fn stdout_line(text: &str) -> Result<(), CliError> {
    if text.ends_with('\n') || text.is_empty() {
        stdout(text)
    } else {
        stdout(&format!("{text}\n"))
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory,
/// renamed into place, so a reader never sees half a file.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".to_owned());
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = std::fs::write(&temp, bytes).and_then(|()| std::fs::rename(&temp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&temp);
        return Err(CliError::io(path, "write", e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_file_replaces_atomically() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.txt");
        write_file(&path, b"one").expect("write");
        write_file(&path, b"two").expect("write");
        assert_eq!(std::fs::read(&path).expect("read"), b"two");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).expect("list").collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left");
    }

    #[test]
    fn write_file_into_missing_directory_fails_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("missing").join("out.txt");
        let err = write_file(&path, b"x").expect_err("missing dir");
        assert!(err.to_string().contains("out.txt"), "{err}");
    }
}
