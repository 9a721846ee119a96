//! Error messages about configuration and seed documents without the values in them. Parsers
//! quote what they could not read (serde's `invalid type: string "…"`, and TOML a whole source
//! line), and those values can be secrets: a root key, a password, key material, a token. The
//! path of the setting, field names and the line number stay; the values go.

/// `message` with every value serde quotes (`string "…"`) replaced by `"…"` and TOML's source
/// excerpt (`  |`, `1 | line`, `  |     ^`) left out.
pub(crate) fn values_hidden(message: &str) -> String {
    let kept: Vec<&str> = message.lines().filter(|l| !is_excerpt(l)).collect();
    let mut out = String::with_capacity(message.len());
    let mut quoted = false;
    let mut escaped = false;
    for c in kept.join(" ").chars() {
        match (quoted, c) {
            // serde's `Unexpected::Str`: the value it was given. Other quotes name fields and
            // files, which the reader needs.
            (false, '"') if out.ends_with("string ") => {
                quoted = true;
                out.push_str("\"…");
            }
            (true, '\\') if !escaped => escaped = true,
            (true, '"') if !escaped => {
                quoted = false;
                out.push('"');
            }
            (true, _) => escaped = false,
            (false, c) => out.push(c),
        }
    }
    out
}

/// A line of TOML's excerpt: optional line number, then a `|` gutter.
fn is_excerpt(line: &str) -> bool {
    line.trim_start()
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .trim_start()
        .starts_with('|')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_and_source_lines_go_paths_and_lines_stay() {
        let serde = r#"invalid type: string "s3cret", expected struct Credential for key `tencent.credentials.AKID`"#;
        assert_eq!(
            values_hidden(serde),
            r#"invalid type: string "…", expected struct Credential for key `tencent.credentials.AKID`"#
        );
        let toml = "TOML parse error at line 1, column 12\n  |\n1 | root_key = 00112233\n  |            ^\ninvalid number\n";
        let hidden = values_hidden(toml);
        assert!(!hidden.contains("00112233"), "{hidden}");
        assert!(hidden.contains("line 1, column 12") && hidden.contains("invalid number"));
        assert_eq!(
            values_hidden(r#"invalid value: string "b\"c" d, field "f""#),
            r#"invalid value: string "…" d, field "f""#
        );
    }
}
