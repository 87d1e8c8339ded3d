//! Encoding one row of `;`-separated CSV, and defusing an exported cell that a spreadsheet
//! would run as a formula.

use std::borrow::Cow;

/// An exported cell a spreadsheet would read as a formula (it begins with `=`, `+`, `-`, `@`,
/// a tab or CR) gets a leading `'`, which makes it text (OWASP "CSV injection"). A number is
/// left alone, so a negative amount or reading stays a number: `-` followed by digits with at
/// most one `.` inside is a number, not a formula. Dates, instants, account numbers and codes
/// never begin with those characters; names, addresses, notes, phones (`+7…`) and meter
/// numbers may, and are the cells this is for.
pub fn defuse(field: &str) -> Cow<'_, str> {
    let risky = field.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && !is_negative_number(field) {
        Cow::Owned(format!("'{field}"))
    } else {
        Cow::Borrowed(field)
    }
}

fn all_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

fn is_negative_number(field: &str) -> bool {
    let Some(digits) = field.strip_prefix('-') else {
        return false;
    };
    match digits.split_once('.') {
        Some((whole, fraction)) => all_digits(whole) && all_digits(fraction),
        None => all_digits(digits),
    }
}

/// Appends one CSV row, terminated by `\n`, to `out`.
///
/// A field is quoted only when it contains `;`, `"`, CR or LF (quotes inside are doubled), or
/// when it is the row's only field and is blank: an unquoted blank line would be skipped by
/// the reader. An empty slice appends a bare `\n`.
pub fn encode_row<S: AsRef<str>>(fields: &[S], out: &mut Vec<u8>) {
    let lonely = fields.len() == 1;
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b';');
        }
        let field = field.as_ref();
        let needs_quotes = field
            .bytes()
            .any(|b| matches!(b, b';' | b'"' | b'\r' | b'\n'))
            || (lonely && field.trim().is_empty());
        if needs_quotes {
            out.push(b'"');
            for b in field.bytes() {
                if b == b'"' {
                    out.push(b'"');
                }
                out.push(b);
            }
            out.push(b'"');
        } else {
            out.extend_from_slice(field.as_bytes());
        }
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(fields: &[&str]) -> String {
        let mut out = Vec::new();
        encode_row(fields, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_cell_a_spreadsheet_would_run_is_defused_and_a_number_is_not() {
        let cases = [
            (
                "=HYPERLINK(\"http://evil\",\"x\")",
                "'=HYPERLINK(\"http://evil\",\"x\")",
            ),
            ("+79109845003", "'+79109845003"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("-", "'-"),
            ("-.5", "'-.5"),
            ("-1.", "'-1."),
            ("-1.2.3", "'-1.2.3"),
            ("-150.50", "-150.50"),
            ("-10", "-10"),
            ("-0.001", "-0.001"),
            ("150.50", "150.50"),
            (
                "г. Иваново, ул. Лежневская, д. 1",
                "г. Иваново, ул. Лежневская, д. 1",
            ),
            ("2026-11-16T09:00:00Z", "2026-11-16T09:00:00Z"),
            ("a=b", "a=b"),
            ("", ""),
        ];
        for (cell, expected) in cases {
            assert_eq!(defuse(cell), expected, "{cell:?}");
        }
    }

    #[test]
    fn quotes_only_what_needs_quoting() {
        let cases: &[(&[&str], &str)] = &[
            (&["a", "b", "c"], "a;b;c\n"),
            (&["", "", ""], ";;\n"),
            (
                &["г. Иваново, ул. Лежневская, д. 1"],
                "г. Иваново, ул. Лежневская, д. 1\n",
            ),
            (&["д. 5; корп. 2", "x"], "\"д. 5; корп. 2\";x\n"),
            (&["ЖК \"Ткацкий\"", "x"], "\"ЖК \"\"Ткацкий\"\"\";x\n"),
            (&["\"", ""], "\"\"\"\";\n"),
            (&["two\nlines", "cr\r"], "\"two\nlines\";\"cr\r\"\n"),
            (
                &[" leading and trailing ", "1"],
                " leading and trailing ;1\n",
            ),
            (&["a,b", "'single'"], "a,b;'single'\n"),
            (&[""], "\"\"\n"),
            (&["  "], "\"  \"\n"),
            (&["x"], "x\n"),
            (&[], "\n"),
        ];
        for (fields, expected) in cases {
            assert_eq!(encoded(fields), *expected, "{fields:?}");
        }
    }
}
