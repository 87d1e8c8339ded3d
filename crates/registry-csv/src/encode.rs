//! Encoding one row of `;`-separated CSV.

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
