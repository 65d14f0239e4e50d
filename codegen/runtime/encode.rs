//! Percent-encoding, once for every place that needs it: path segments, query strings and the token form (whose
//! encoding the scrubber repeats, to find an echoed client secret).

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`) is escaped in a path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Query names and values: as path segments, but the comma stays literal, because it separates list items
/// (`teams=1,2,3`) and the server decodes `%2C` to the same comma anyway.
pub(crate) const QUERY: &AsciiSet = &SEGMENT.remove(b',');

/// A form body (`application/x-www-form-urlencoded`) escapes like a query.
pub(crate) const FORM: &AsciiSet = QUERY;

/// Percent-encodes one path segment: everything but `A-Z a-z 0-9 - . _ ~` is escaped, `/` included.
pub(crate) fn path_segment(value: &dyn fmt::Display) -> String {
    utf8_percent_encode(&value.to_string(), SEGMENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_escape_all_but_unreserved() {
        assert_eq!(path_segment(&12), "12");
        assert_eq!(path_segment(&-1i64), "-1");
        assert_eq!(path_segment(&"a-b.c_d~e"), "a-b.c_d~e");
        assert_eq!(path_segment(&"a/b c?d#e%f"), "a%2Fb%20c%3Fd%23e%25f");
        assert_eq!(path_segment(&"é+&="), "%C3%A9%2B%26%3D");
    }
}
