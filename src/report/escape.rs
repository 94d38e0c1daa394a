//! Escaping of untrusted text (monikers, host names, attributes) for each
//! output format. Chain data is written by whoever registers a provider, so
//! it is treated as data everywhere: no control sequences reach a terminal,
//! no markup reaches Markdown or HTML, no formula reaches a spreadsheet.

/// Text safe for a terminal: control characters (ANSI escapes, newlines,
/// bidi overrides) are shown as `\u{..}` escapes.
pub fn terminal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() || is_bidi_control(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Terminal-safe text for a cell of a pipe-delimited plain-text table: a
/// `|` in a name is escaped so it cannot split the cell.
pub fn pipe_cell(s: &str) -> String {
    terminal(s).replace('|', "\\|")
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// Text safe inside a Markdown table cell: inline markup characters
/// (emphasis, code, links, pipes) are backslash-escaped, HTML brackets become entities, line breaks become spaces.
pub fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in terminal(s).chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// A CSV cell that spreadsheets will not run as a formula: text starting
/// with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`. A
/// plain number (`-2`, `+0.5`) is left as it is: spreadsheets read it as a
/// number, never a formula, and a guard would turn it into text.
/// (Quoting of commas and quotes is left to the CSV writer.)
pub fn csv_cell(s: &str) -> String {
    if s.parse::<f64>().is_ok_and(f64::is_finite) {
        return s.to_string();
    }
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

/// Text safe in HTML element content and quoted attribute values; control
/// and bidirectional-override characters are shown as escapes.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in terminal(s).chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_strings_are_neutralised() {
        assert_eq!(terminal("a\x1b[31mred\n"), "a\\u{1b}[31mred\\u{a}");
        assert_eq!(terminal("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(
            markdown("a|b [x](http://e) <script>"),
            "a\\|b \\[x\\](http://e) &lt;script&gt;"
        );
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_cell("-1+2"), "'-1+2");
        assert_eq!(csv_cell("@SUM"), "'@SUM");
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(
            html("<a href='x'>\"&"),
            "&lt;a href=&#39;x&#39;&gt;&quot;&amp;"
        );
    }
}
