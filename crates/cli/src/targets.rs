//! `--targets-file`: one `REGION/PROJECT_ID` per line, `#` starts a comment,
//! blank lines are skipped.

use std::path::Path;

use rds_dr_model::Target;

use crate::error::CliError;

/// The targets of a targets file, in file order. A bad line is an error
/// naming the file and the line.
pub fn read_targets_file(path: &Path) -> Result<Vec<Target>, CliError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| CliError::io(path, "read targets file", e))?;
    parse_targets(&text).map_err(|(line, reason)| {
        CliError::Usage(format!(
            "targets file {} line {line}: {reason}",
            path.display()
        ))
    })
}

/// Parses the text of a targets file; an error is (1-based line, reason).
pub fn parse_targets(text: &str) -> Result<Vec<Target>, (usize, String)> {
    let mut targets = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let content = line.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        let target = content
            .parse::<Target>()
            .map_err(|e| (index + 1, e.to_string()))?;
        targets.push(target);
    }
    Ok(targets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_blank_lines() {
        let text = "# fleet\n\ncn-north-4/0483b6b16e954cb88930a360d2c4e663  # beijing\n  \n\
                    ap-southeast-1/08fd2ad8bd6a4e7c9e4d3b9b7f0a1c2d\r\n";
        let targets = parse_targets(text).expect("parses");
        assert_eq!(
            targets,
            [
                Target::new("cn-north-4", "0483b6b16e954cb88930a360d2c4e663"),
                Target::new("ap-southeast-1", "08fd2ad8bd6a4e7c9e4d3b9b7f0a1c2d"),
            ]
        );
    }

    #[test]
    fn bad_line_is_named() {
        let (line, reason) =
            parse_targets("# x\ncn-north-4/0483b6b16e954cb88930a360d2c4e663\ncn-north-4\n")
                .expect_err("bad line");
        assert_eq!(line, 3);
        assert!(reason.contains("missing `/`"), "{reason}");
    }

    #[test]
    fn file_errors_name_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("targets.txt");
        std::fs::write(&path, "nonsense\n").expect("write");
        let err = read_targets_file(&path).expect_err("bad");
        assert!(err.to_string().contains("targets.txt line 1"), "{err}");
        let err = read_targets_file(&dir.path().join("missing")).expect_err("missing");
        assert!(err.to_string().contains("missing"), "{err}");
    }
}
