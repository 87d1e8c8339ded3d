//! The operator's manual (`docs/operations.md`) stays complete: every message the crates log at
//! WARN or ERROR (`warn!(…)`, `error!(…)`, `tracing::…` or not, in non-test sources) appears
//! in it word for word, so that an operator who greps the manual for a log line finds it.
#![expect(
    clippy::unwrap_used,
    reason = "a source or the manual that can't be read fails the test loudly"
)]

use std::fs;
use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `.rs` files under `dir`, test-only files (`tests.rs`) left out.
fn sources(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            into.push(path);
        }
    }
}

/// `source` without its test module (from a `#[cfg(test)]` line whose item is a `mod`) and
/// without its comment lines.
fn non_test_code(source: &str) -> String {
    let lines: Vec<&str> = source.lines().collect();
    let mut code = String::new();
    for (index, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        if trimmed == "#[cfg(test)]" {
            let item = lines[index + 1..]
                .iter()
                .copied()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with("#["))
                .unwrap_or_default();
            if item.starts_with("mod ") || item.contains(" mod ") {
                break;
            }
        }
        if !trimmed.starts_with("//") {
            code.push_str(line);
            code.push('\n');
        }
    }
    code
}

/// A string literal starting at `chars[start]` (the opening quote), as its text is at run
/// time: escapes read, a `\` at a line's end joining the next line without its indent.
/// Returns the text and the index after the closing quote.
fn string_literal(chars: &[char], start: usize) -> (String, usize) {
    let mut text = String::new();
    let mut at = start + 1;
    while chars[at] != '"' {
        if chars[at] == '\\' {
            at += 1;
            match chars[at] {
                '\n' => {
                    while chars[at + 1].is_whitespace() {
                        at += 1;
                    }
                }
                'n' => text.push('\n'),
                't' => text.push('\t'),
                other => text.push(other),
            }
        } else {
            text.push(chars[at]);
        }
        at += 1;
    }
    (text, at + 1)
}

/// The message of each `warn!(…)` and `error!(…)` in `code`: the first string literal among
/// the call's own arguments that is not a field's value (`key = "…"`) or a target
/// (`target: "…"`); `None` for a call without one.
fn messages(code: &str) -> Vec<Option<String>> {
    let chars: Vec<char> = code.chars().collect();
    let mut found = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let rest: String = chars[at..chars.len().min(at + 7)].iter().collect();
        let name_len = if rest.starts_with("warn!(") {
            5
        } else if rest.starts_with("error!(") {
            6
        } else {
            0
        };
        let starts_word = at == 0 || !(chars[at - 1].is_alphanumeric() || chars[at - 1] == '_');
        if name_len == 0 || !starts_word {
            at += 1;
            continue;
        }
        at += name_len + 1;
        let (mut depth, mut before, mut message) = (1, '(', None);
        while depth > 0 {
            let c = chars[at];
            if c == '"' {
                let (text, next) = string_literal(&chars, at);
                if depth == 1 && message.is_none() && before != '=' && before != ':' {
                    message = Some(text);
                }
                (at, before) = (next, '"');
                continue;
            }
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                _ => {}
            }
            if !c.is_whitespace() {
                before = c;
            }
            at += 1;
        }
        found.push(message);
    }
    found
}

#[test]
fn the_scanner_reads_the_forms_the_code_uses() {
    let code = non_test_code(
        r#"
        tracing::warn!(user_id = %id, kind = "sms", "one line");
        warn!(
            provider,
            provider_payment_id, "after a bare field"
        );
        error!(target: "x", "{reason}; trying again");
        tracing::error!(
            budget = name,
            "a long one \
             joined"
        );
        warn!("{}", format!("(nested)"));
        prewarn!("not a log call");
        // warn!("a comment")
        #[cfg(test)]
        mod tests {
            warn!("a test's");
        }
        "#,
    );
    assert_eq!(
        messages(&code),
        [
            Some("one line".to_owned()),
            Some("after a bare field".to_owned()),
            Some("{reason}; trying again".to_owned()),
            Some("a long one joined".to_owned()),
            Some("{}".to_owned()),
        ]
    );
}

#[test]
fn the_manual_explains_every_warning_and_error_the_crates_log() {
    let root = workspace_root();
    let manual = fs::read_to_string(root.join("docs/operations.md")).unwrap();
    let mut files = Vec::new();
    for entry in fs::read_dir(root.join("crates")).unwrap() {
        let crate_dir = entry.unwrap().path();
        // The tests' own servers and helpers: never part of what an operator runs.
        if crate_dir.ends_with("test-support") {
            continue;
        }
        let src = crate_dir.join("src");
        if src.is_dir() {
            sources(&src, &mut files);
        }
    }
    let (mut seen, mut missing) = (0, Vec::new());
    for file in files {
        let code = non_test_code(&fs::read_to_string(&file).unwrap());
        let relative = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .display()
            .to_string();
        for message in messages(&code) {
            seen += 1;
            match message {
                Some(message) if manual.contains(&message) => {}
                Some(message) => missing.push(format!("{relative}: {message:?}")),
                None => missing.push(format!("{relative}: a call without a literal message")),
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/operations.md does not explain these log messages (add each, word for word, \
         with what it means and what to do):\n{}",
        missing.join("\n")
    );
    assert!(
        seen > 50,
        "only {seen} warn!/error! calls found: is the scanner broken?"
    );
}
