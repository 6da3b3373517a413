//! Quoting names and values into PostgreSQL statements that cannot take bound
//! parameters (`CREATE ROLE`, `GRANT`, `CREATE PUBLICATION`).

/// `name` as a quoted identifier: the case and every character are kept, and a
/// double quote inside is doubled, so no name can end the identifier early.
pub fn identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `text` as a string literal. Single quotes are doubled; a text holding a
/// backslash becomes an `E'...'` literal with the backslashes doubled, so the
/// result means the same whatever `standard_conforming_strings` says.
pub fn literal(text: &str) -> String {
    let quoted = text.replace('\'', "''");
    if text.contains('\\') {
        format!("E'{}'", quoted.replace('\\', "\\\\"))
    } else {
        format!("'{quoted}'")
    }
}

/// A table of the `public` schema, where papyrus's migrations create the synced tables.
pub fn public_table(table: &str) -> String {
    format!("public.{}", identifier(table))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_inside_names_and_values_are_doubled() {
        assert_eq!(identifier("powersync_role"), r#""powersync_role""#);
        assert_eq!(
            identifier(r#"odd"; DROP ROLE x; --"#),
            r#""odd""; DROP ROLE x; --""#
        );
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(literal(r"a\'b"), r"E'a\\''b'");
        assert_eq!(public_table("Books"), r#"public."Books""#);
    }
}
