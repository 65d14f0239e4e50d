//! [`DateTime`]: a date and time as Halo sends it, kept as its text and read as a [`time::OffsetDateTime`].
//!
//! Halo writes times in several forms: without an offset (`2026-11-20T16:42:11.283`, the usual one; Halo stores
//! UTC), with one (`2026-11-20T16:42:11Z`, `2026-11-20T17:42:11+01:00`), with 0 to 7 fractional digits (.NET
//! trims trailing zeros), a date alone, and `1900-01-01T00:00:00` for "never". The type keeps the text it was
//! decoded from and sends it back unchanged, so a GET → change → POST round trip does not alter a date the caller
//! did not touch; it is parsed only when read. A value that is not a date at all is kept too (and read as `None`),
//! so one odd field does not fail the whole record.

use std::fmt;
use std::str::FromStr;

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// The text of Halo's "never" value: `1900-01-01T00:00:00`.
const NEVER: &str = "1900-01-01T00:00:00";

/// A date and time as Halo sends it: the text it came as, read as a [`time::OffsetDateTime`].
///
/// Every `date-time` field of the models and every `date-time` query parameter has this type.
///
/// * **Reading.** [`to_offset_date_time`](Self::to_offset_date_time) parses the text leniently: with or without
///   an offset (`Z`, `+01:00`, `+0100`, `+01`), with 0 to 9 fractional digits, `T` or a space between date and
///   time, seconds optional, or a date alone (midnight). A time without an offset is UTC: Halo stores times in UTC
///   and sends them without an offset (its `utcoffset` query parameter, where an operation has one, shifts them;
///   such times are then local to that offset and read here as if they were UTC).
/// * **"Never".** Halo's `1900-01-01T00:00:00` (at UTC, with or without an offset) means "not set":
///   [`is_never`](Self::is_never) is `true` and `to_offset_date_time` is `None`. [`DateTime::never`] builds it.
/// * **Anything else** that is not a date (an empty string, `N/A`) is kept as it came:
///   [`is_valid`](Self::is_valid) is `false`, `to_offset_date_time` is `None`, [`as_str`](Self::as_str) shows it.
///   A JSON value that is not a string (a number) is a decode error, as before.
/// * **Writing.** A value decoded from Halo is sent back byte for byte as it came. A new value made from a
///   [`time::OffsetDateTime`] (or a [`time::PrimitiveDateTime`], taken as UTC) is written the way Halo writes
///   times: in UTC, without an offset, with only the fractional digits needed and at most 7 (Halo's 100 ns;
///   finer digits are cut): `2026-11-20T16:42:11.283`.
///   [`FromStr`] takes any text this type can read and sends it as given.
///
/// Two values are equal when their text is: `2026-01-01T10:00:00Z` and `2026-01-01T11:00:00+01:00` are the same
/// instant but different values (compare [`to_offset_date_time`](Self::to_offset_date_time) for instants).
///
/// ```
/// use halopsa::DateTime;
/// use halopsa::time::Duration;
///
/// let seen: DateTime = "2026-11-20T16:42:11.283".parse()?;
/// let at = seen.to_offset_date_time().expect("a date");
/// assert_eq!((at.year(), at.hour(), at.millisecond()), (2026, 16, 283));
/// assert!(at.offset().is_utc(), "no offset: UTC");
/// assert_eq!(DateTime::from(at + Duration::hours(1)).as_str(), "2026-11-20T17:42:11.283");
/// assert!(DateTime::never().is_never());
/// # Ok::<(), halopsa::ParseDateTimeError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct DateTime(String);

impl DateTime {
    /// Any text, kept as it came: what a model field or a webhook holds (`model.rs` decodes them).
    pub(crate) fn from_wire(text: String) -> Self {
        DateTime(text)
    }

    /// Halo's "never" value, `1900-01-01T00:00:00`.
    pub fn never() -> Self {
        DateTime(NEVER.to_owned())
    }

    /// The text as it came from Halo (or as it will be sent).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The instant, or `None` for Halo's "never" and for text that is not a date. A time without an offset is
    /// read as UTC; one with an offset keeps it.
    pub fn to_offset_date_time(&self) -> Option<OffsetDateTime> {
        match parse(&self.0)? {
            Parsed { at, .. } if is_never_instant(at) => None,
            Parsed { at, .. } => Some(at),
        }
    }

    /// Whether this is Halo's "never" (`1900-01-01T00:00:00`).
    pub fn is_never(&self) -> bool {
        parse(&self.0).is_some_and(|parsed| is_never_instant(parsed.at))
    }

    /// Whether the text is a date Halo could have sent (including "never"); `false` for anything else, which is
    /// kept as it came.
    pub fn is_valid(&self) -> bool {
        parse(&self.0).is_some()
    }
}

fn is_never_instant(at: OffsetDateTime) -> bool {
    at.offset().is_utc() && at.date() == never_date() && at.time() == Time::MIDNIGHT
}

fn never_date() -> Date {
    // A valid date: cannot fail.
    Date::from_calendar_date(1900, Month::January, 1).unwrap_or(Date::MIN)
}

impl From<OffsetDateTime> for DateTime {
    /// Writes the instant as Halo does: in UTC, without an offset, with only the fractional digits needed (at most 7).
    fn from(at: OffsetDateTime) -> Self {
        let utc = at.to_offset(UtcOffset::UTC);
        DateTime(format(utc.date(), utc.time()))
    }
}

impl From<PrimitiveDateTime> for DateTime {
    /// Takes a date and time without an offset as UTC, as Halo does.
    fn from(at: PrimitiveDateTime) -> Self {
        DateTime(format(at.date(), at.time()))
    }
}

impl FromStr for DateTime {
    type Err = ParseDateTimeError;

    /// Accepts any text [`DateTime::to_offset_date_time`] can read (or "never"), and keeps it as given.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match parse(text) {
            Some(_) => Ok(DateTime(text.to_owned())),
            None => Err(ParseDateTimeError(text.to_owned())),
        }
    }
}

impl fmt::Display for DateTime {
    /// The text as it came (or will be sent).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DateTime").field(&self.0).finish()
    }
}

impl serde::Serialize for DateTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for DateTime {
    /// Any JSON string, kept as it came (garbage included); anything else is an error.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = DateTime;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date-time string")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<DateTime, E> {
                Ok(DateTime(text.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, text: String) -> Result<DateTime, E> {
                Ok(DateTime(text))
            }
        }
        deserializer.deserialize_str(Text)
    }
}

impl super::request::QueryValue for DateTime {
    fn write_query(&self, out: &mut String) {
        out.push_str(&self.0);
    }
}

/// The error of [`DateTime::from_str`]: the text is not a date and time Halo sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseDateTimeError(String);

impl fmt::Display for ParseDateTimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a date and time Halo sends: {:?}", self.0)
    }
}

impl std::error::Error for ParseDateTimeError {}

/// `YYYY-MM-DDTHH:MM:SS`, then a `.` and at most 7 fractional digits without trailing zeros, if any.
fn format(date: Date, time: Time) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(29);
    let year = date.year();
    // Writing to a String cannot fail.
    if (0..=9999).contains(&year) {
        let _ = write!(out, "{year:04}");
    } else {
        let _ = write!(out, "{year:+05}");
    }
    let _ = write!(
        out,
        "-{:02}-{:02}T{:02}:{:02}:{:02}",
        u8::from(date.month()),
        date.day(),
        time.hour(),
        time.minute(),
        time.second()
    );
    // Halo (.NET) keeps times to 100 ns and writes at most 7 fractional digits; finer digits are cut, as .NET cuts
    // them, rather than rounded (which could carry into the next second).
    let ticks = time.nanosecond() / 100;
    if ticks != 0 {
        let digits = format!("{ticks:07}");
        let _ = write!(out, ".{}", digits.trim_end_matches('0'));
    }
    out
}

/// A parsed date and time; `offset` is false when the text had none (and UTC was assumed).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Parsed {
    at: OffsetDateTime,
    offset: bool,
}

/// Reads the forms Halo sends; `None` for anything else.
fn parse(text: &str) -> Option<Parsed> {
    let mut cursor = Cursor(text.as_bytes());
    let year = cursor.digits(4)? as i32;
    cursor.expect(b'-')?;
    let month = Month::try_from(cursor.digits(2)? as u8).ok()?;
    cursor.expect(b'-')?;
    let day = cursor.digits(2)? as u8;
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let mut time = Time::MIDNIGHT;
    if let Some(b'T' | b't' | b' ') = cursor.peek() {
        cursor.advance(1);
        let hour = cursor.digits(2)? as u8;
        cursor.expect(b':')?;
        let minute = cursor.digits(2)? as u8;
        let mut second = 0;
        let mut nanos = 0;
        if cursor.peek() == Some(b':') {
            cursor.advance(1);
            second = cursor.digits(2)? as u8;
            if cursor.peek() == Some(b'.') {
                cursor.advance(1);
                let start = cursor.0;
                let count = start.iter().take_while(|b| b.is_ascii_digit()).count();
                if count == 0 || count > 9 {
                    return None;
                }
                let fraction = cursor.digits(count)?;
                nanos = fraction * 10u32.pow(9 - count as u32);
            }
        }
        time = Time::from_hms_nano(hour, minute, second, nanos).ok()?;
    }
    let (offset, has_offset) = match cursor.peek() {
        None => (UtcOffset::UTC, false),
        Some(b'Z' | b'z') => {
            cursor.advance(1);
            (UtcOffset::UTC, true)
        }
        Some(sign @ (b'+' | b'-')) => {
            cursor.advance(1);
            let hours = cursor.digits(2)? as i8;
            let minutes = match cursor.peek() {
                Some(b':') => {
                    cursor.advance(1);
                    cursor.digits(2)? as i8
                }
                Some(_) => cursor.digits(2)? as i8,
                None => 0,
            };
            // Offsets in use (and those .NET writes) are within ±14:00.
            if hours > 14 || minutes > 59 || (hours == 14 && minutes > 0) {
                return None;
            }
            let (hours, minutes) = if sign == b'-' { (-hours, -minutes) } else { (hours, minutes) };
            (UtcOffset::from_hms(hours, minutes, 0).ok()?, true)
        }
        Some(_) => return None,
    };
    if !cursor.0.is_empty() {
        return None;
    }
    let at = PrimitiveDateTime::new(date, time).assume_offset(offset);
    Some(Parsed { at, offset: has_offset })
}

struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.0.first().copied()
    }

    fn advance(&mut self, count: usize) {
        self.0 = &self.0[count.min(self.0.len())..];
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.advance(1))
    }

    /// Exactly `count` ASCII digits as a number.
    fn digits(&mut self, count: usize) -> Option<u32> {
        let digits = self.0.get(..count)?;
        let mut value = 0u32;
        for digit in digits {
            if !digit.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u32::from(digit - b'0');
        }
        self.advance(count);
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn read(text: &str) -> Option<OffsetDateTime> {
        DateTime(text.to_owned()).to_offset_date_time()
    }

    #[test]
    fn every_form_halo_sends() {
        let cases = [
            ("2026-11-20T16:42:11", datetime!(2026-11-20 16:42:11 UTC)),
            ("2026-11-20T16:42:11.2", datetime!(2026-11-20 16:42:11.2 UTC)),
            ("2026-11-20T16:42:11.28", datetime!(2026-11-20 16:42:11.28 UTC)),
            ("2026-11-20T16:42:11.283", datetime!(2026-11-20 16:42:11.283 UTC)),
            ("2026-11-20T16:42:11.2833", datetime!(2026-11-20 16:42:11.2833 UTC)),
            ("2026-11-20T16:42:11.28331", datetime!(2026-11-20 16:42:11.28331 UTC)),
            ("2026-11-20T16:42:11.283317", datetime!(2026-11-20 16:42:11.283317 UTC)),
            ("2026-11-20T16:42:11.2833171", datetime!(2026-11-20 16:42:11.2833171 UTC)),
            ("2026-11-20T16:42:11.283317123", datetime!(2026-11-20 16:42:11.283317123 UTC)),
            ("2026-11-20T16:42:11Z", datetime!(2026-11-20 16:42:11 UTC)),
            ("2026-11-20T16:42:11.2833171Z", datetime!(2026-11-20 16:42:11.2833171 UTC)),
            ("2026-11-20t16:42:11z", datetime!(2026-11-20 16:42:11 UTC)),
            ("2026-11-20T17:42:11+01:00", datetime!(2026-11-20 17:42:11 +01:00)),
            ("2026-11-20T17:42:11.5+0100", datetime!(2026-11-20 17:42:11.5 +01:00)),
            ("2026-11-20T11:12:11-05:30", datetime!(2026-11-20 11:12:11 -05:30)),
            ("2026-11-20T17:42:11+01", datetime!(2026-11-20 17:42:11 +01:00)),
            ("2026-11-20 16:42:11", datetime!(2026-11-20 16:42:11 UTC)),
            ("2026-11-20T16:42", datetime!(2026-11-20 16:42 UTC)),
            ("2026-11-20", datetime!(2026-11-20 0:00 UTC)),
            ("2024-02-29T00:00:00", datetime!(2024-02-29 0:00 UTC)),
            ("0001-01-01T00:00:00", datetime!(0001-01-01 0:00 UTC)),
        ];
        for (text, expected) in cases {
            assert_eq!(read(text), Some(expected), "{text}");
            let parsed: DateTime = text.parse().unwrap();
            assert_eq!(parsed.as_str(), text, "kept as given");
            assert!(parsed.is_valid() && !parsed.is_never(), "{text}");
        }
        assert_eq!(read("2026-11-20T17:42:11+01:00").unwrap().offset(), UtcOffset::from_hms(1, 0, 0).unwrap());
        assert!(parse("2026-11-20T16:42:11").is_some_and(|p| !p.offset), "naive");
        assert!(parse("2026-11-20T16:42:11Z").is_some_and(|p| p.offset));
    }

    #[test]
    fn never_is_none_and_documented() {
        for text in ["1900-01-01T00:00:00", "1900-01-01T00:00:00.000", "1900-01-01T00:00:00Z", "1900-01-01"] {
            let value = DateTime(text.to_owned());
            assert!(value.is_never(), "{text}");
            assert!(value.is_valid(), "{text}");
            assert_eq!(value.to_offset_date_time(), None, "{text}");
        }
        assert_eq!(DateTime::never().as_str(), "1900-01-01T00:00:00");
        // Not "never": another instant of 1900, or midnight of 1900-01-01 at another offset.
        assert!(!DateTime("1900-01-01T00:00:01".to_owned()).is_never());
        assert!(!DateTime("1900-01-01T00:00:00+01:00".to_owned()).is_never());
    }

    #[test]
    fn garbage_is_kept_and_reads_as_none() {
        for text in [
            "",
            "N/A",
            "null",
            "2026",
            "2026-11",
            "2026-13-01T00:00:00",
            "2026-02-30T00:00:00",
            "2026-11-20T24:00:00",
            "2026-11-20T16:42:60",
            "2026-11-20T16:42:11.",
            "2026-11-20T16:42:11.1234567890",
            "2026-11-20T16:42:11+25:00",
            "2026-11-20T16:42:11 Z",
            "2026-11-20T16:42:11Zjunk",
            "2026-11-20T",
            "20261120T164211",
            "+2026-11-20T16:42:11",
            "2026-1-2T3:04:05",
            "٢٠٢٦-11-20",
        ] {
            let value = DateTime(text.to_owned());
            assert_eq!(value.to_offset_date_time(), None, "{text:?}");
            assert!(!value.is_valid() && !value.is_never(), "{text:?}");
            assert_eq!(value.as_str(), text);
            assert_eq!(text.parse::<DateTime>(), Err(ParseDateTimeError(text.to_owned())));
        }
        let error = "soon".parse::<DateTime>().unwrap_err();
        assert_eq!(error.to_string(), r#"not a date and time Halo sends: "soon""#);
    }

    #[test]
    fn new_values_are_written_as_halo_writes_them() {
        let cases = [
            (datetime!(2026-11-20 16:42:11 UTC), "2026-11-20T16:42:11"),
            (datetime!(2026-11-20 16:42:11.283 UTC), "2026-11-20T16:42:11.283"),
            (datetime!(2026-11-20 16:42:11.2833171 UTC), "2026-11-20T16:42:11.2833171"),
            (datetime!(2026-11-20 16:42:11.0000001 UTC), "2026-11-20T16:42:11.0000001"),
            (datetime!(2026-11-21 00:30 +01:00), "2026-11-20T23:30:00"),
            (datetime!(2026-11-20 19:00 -05:00), "2026-11-21T00:00:00"),
            (datetime!(0001-01-01 0:00 UTC), "0001-01-01T00:00:00"),
        ];
        for (at, text) in cases {
            let value = DateTime::from(at);
            assert_eq!(value.as_str(), text);
            assert_eq!(value.to_offset_date_time(), Some(at), "reads back as the same instant");
        }
        assert_eq!(DateTime::from(datetime!(2026-11-20 16:42:11)).as_str(), "2026-11-20T16:42:11");
        // At most 7 fractional digits, as Halo writes them: finer ones are cut, never rounded into the next second.
        let finer = [
            (datetime!(2026-11-20 16:42:11.283317123 UTC), "2026-11-20T16:42:11.2833171"),
            (datetime!(2026-11-20 16:42:11.999999999 UTC), "2026-11-20T16:42:11.9999999"),
            (datetime!(2026-11-20 16:42:11.000000099 UTC), "2026-11-20T16:42:11"),
            (datetime!(2026-11-20 16:42:11.12345678 UTC), "2026-11-20T16:42:11.1234567"),
        ];
        for (at, text) in finer {
            assert_eq!(DateTime::from(at).as_str(), text);
        }
        assert!(DateTime::from(datetime!(1900-01-01 0:00 UTC)).is_never());
    }

    #[test]
    fn json_keeps_the_text_and_rejects_non_strings() {
        for text in ["2026-11-20T16:42:11.283", "2026-11-20T16:42:11Z", "1900-01-01T00:00:00", "N/A", ""] {
            let json = serde_json::to_string(text).unwrap();
            let value: DateTime = serde_json::from_str(&json).unwrap();
            assert_eq!(value.as_str(), text);
            assert_eq!(serde_json::to_string(&value).unwrap(), json, "byte for byte");
        }
        let escaped: DateTime = serde_json::from_str(r#""2026-11-20T16:42:11\u002B01:00""#).unwrap();
        assert_eq!(escaped.as_str(), "2026-11-20T16:42:11+01:00");
        let error = serde_json::from_str::<DateTime>("20261120").unwrap_err().to_string();
        assert!(error.contains("expected a date-time string"), "{error}");
        assert_eq!(serde_json::from_str::<Option<DateTime>>("null").unwrap(), None);
    }

    #[test]
    fn display_debug_and_query_text() {
        let value = DateTime("2026-11-20T16:42:11Z".to_owned());
        assert_eq!(value.to_string(), "2026-11-20T16:42:11Z");
        assert_eq!(format!("{value:?}"), r#"DateTime("2026-11-20T16:42:11Z")"#);
        let mut out = String::new();
        super::super::request::QueryValue::write_query(&value, &mut out);
        assert_eq!(out, "2026-11-20T16:42:11Z");
    }
}
