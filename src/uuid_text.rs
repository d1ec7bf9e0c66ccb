//! Parsing of uuid text without raising, so callers can report which setting
//! held a bad value.

use pgrx::Uuid;

/// Parses the forms PostgreSQL's uuid input accepts: 32 hex digits, with a
/// hyphen allowed after any group of four, optionally inside braces.
pub fn parse(text: &str) -> Option<Uuid> {
    let inner = match text.strip_prefix('{') {
        Some(rest) => rest.strip_suffix('}')?,
        None => text,
    };
    let mut bytes = [0u8; 16];
    let mut digits = 0usize;
    let mut previous_hyphen = true;
    for character in inner.chars() {
        if character == '-' {
            if previous_hyphen || !digits.is_multiple_of(4) {
                return None;
            }
            previous_hyphen = true;
            continue;
        }
        let nibble = character.to_digit(16)? as u8;
        if digits == 32 {
            return None;
        }
        bytes[digits / 2] |= if digits.is_multiple_of(2) {
            nibble << 4
        } else {
            nibble
        };
        digits += 1;
        previous_hyphen = false;
    }
    if digits != 32 || previous_hyphen {
        return None;
    }
    Some(Uuid::from_bytes(bytes))
}

#[cfg(test)]
mod unit {
    use super::parse;

    #[test]
    fn accepts_postgres_forms() {
        let expected = parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11").unwrap();
        for form in [
            "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
            "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
            "a0eebc999c0b4ef8bb6d6bb9bd380a11",
            "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
            "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}",
        ] {
            assert_eq!(parse(form), Some(expected), "{form}");
        }
    }

    #[test]
    fn rejects_malformed() {
        for form in [
            "",
            " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "not-a-uuid",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111",
            "-a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-",
            "a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11",
            "a0eeb-c99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        ] {
            assert_eq!(parse(form), None, "{form}");
        }
    }
}
