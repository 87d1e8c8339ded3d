//! Masking of personal data for logs: a phone becomes `+7******4567`, an e-mail `pa***@example.com`.

/// Keeps the first `keep_start` and the last `keep_end` characters and stars the rest.
pub(crate) fn mask_middle(text: &str, keep_start: usize, keep_end: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= keep_start + keep_end {
        return "*".repeat(chars.len());
    }
    let hidden = chars.len() - keep_start - keep_end;
    let mut out: String = chars[..keep_start].iter().collect();
    out.push_str(&"*".repeat(hidden));
    out.extend(&chars[chars.len() - keep_end..]);
    out
}

#[cfg(test)]
mod tests {
    use super::mask_middle;

    #[test]
    fn keeps_the_ends_and_stars_the_middle() {
        assert_eq!(mask_middle("+79109845003", 2, 4), "+7******5003");
        assert_eq!(mask_middle("abc", 2, 4), "***");
        assert_eq!(mask_middle("", 1, 1), "");
    }
}
