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

/// The records of an API answer as a terminal table: a header line and a
/// line per row, columns two spaces apart and measured in terminal cells
/// (`unicode-width`, so CJK text keeps them aligned), trailing blanks
/// trimmed; `empty` stands on its own line when there is no row.
pub fn table<const N: usize>(header: [&str; N], rows: &[[String; N]], empty: &str) -> String {
    use unicode_width::UnicodeWidthStr;
    let mut widths = header.map(UnicodeWidthStr::width);
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.width());
        }
    }
    let mut out = String::new();
    let header = header.map(str::to_owned);
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (cell, width) in row.iter().zip(widths) {
            line.push_str(cell);
            line.extend(std::iter::repeat_n(' ', width - cell.width() + 2));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    if rows.is_empty() {
        out.push_str(empty);
        out.push('\n');
    }
    out
}

/// The same records as tab-separated values: a header of lower-case
/// names (`instance_id`), then a line per row, tabs and line breaks inside
/// a cell turned into spaces.
pub fn tsv<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let clean = |cell: &str| cell.replace(['\t', '\n', '\r'], " ");
    let mut out = header
        .iter()
        .map(|h| h.to_lowercase().replace(' ', "_"))
        .collect::<Vec<_>>()
        .join("\t");
    out.push('\n');
    for row in rows {
        out.push_str(&row.iter().map(|c| clean(c)).collect::<Vec<_>>().join("\t"));
        out.push('\n');
    }
    out
}

/// Writes `bytes` to `path` through a temporary file in the same directory
/// (`tempfile`), renamed into place, so a reader never sees half a file. On
/// failure the temporary file is removed. The file gets the permissions a
/// plain create would (0666 less the umask on Unix), not the temporary
/// file's private 0600.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let fail = |e| CliError::io(path, "write", e);
    let mut builder = tempfile::Builder::new();
    builder.prefix(".rds-dr-").suffix(".tmp");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut temp = builder.tempfile_in(dir).map_err(fail)?;
    temp.write_all(bytes).map_err(fail)?;
    temp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

/// Prints a single-target command's answer (`relations`, `dr-infos`) as
/// `--output` asks: the body as received (JSON, newline-terminated), or the
/// table or TSV the command makes of the decoded answer.
pub fn answer(
    output: crate::cli::RelationsOutput,
    body: &[u8],
    table: impl FnOnce() -> String,
    tsv: impl FnOnce() -> String,
) -> Result<(), CliError> {
    use crate::cli::RelationsOutput;
    let text = match output {
        RelationsOutput::Json => {
            let mut text = String::from_utf8_lossy(body).into_owned();
            if !text.ends_with('\n') {
                text.push('\n');
            }
            text
        }
        RelationsOutput::Table => table(),
        RelationsOutput::Tsv => tsv(),
    };
    stdout(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_columns_line_up_in_terminal_cells() {
        let rows = [
            ["华南-广州".to_owned(), "x".to_owned()],
            ["ab".to_owned(), "y".to_owned()],
        ];
        let text = table(["NAME", "ID"], &rows, "(none)");
        // The second column starts at the same terminal cell on every line:
        // "华南-广州" is 9 cells wide (5 characters).
        let starts: Vec<usize> = text
            .lines()
            .map(|l| {
                let (first, _) = l.rsplit_once(' ').unwrap();
                unicode_width::UnicodeWidthStr::width(first) + 1
            })
            .collect();
        assert_eq!(starts, [11, 11, 11], "{text}");
        assert_eq!(table(["A"], &[], "(none)"), "A\n(none)\n");
        assert_eq!(
            tsv(["INSTANCE ID"], &[["a\tb".to_owned()]]),
            "instance_id\na b\n"
        );
    }

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
    fn write_file_onto_a_directory_fails_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("taken");
        std::fs::create_dir(&path).expect("mkdir");
        let err = write_file(&path, b"x").expect_err("a directory is in the way");
        assert!(err.to_string().contains("taken"), "{err}");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["taken"], "no temporary file left");
    }

    #[cfg(unix)]
    #[test]
    fn write_file_gives_the_permissions_of_a_plain_create() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let plain = dir.path().join("plain");
        std::fs::write(&plain, b"x").expect("write");
        let ours = dir.path().join("ours");
        write_file(&ours, b"x").expect("write");
        let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode(&ours), mode(&plain));
    }

    #[test]
    fn write_file_into_missing_directory_fails_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("missing").join("out.txt");
        let err = write_file(&path, b"x").expect_err("missing dir");
        assert!(err.to_string().contains("out.txt"), "{err}");
    }
}
