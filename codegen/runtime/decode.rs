//! Decoding a successful answer: [`decode_json`] and the client's own `decode_unchecked`, whose errors name the
//! field that failed, quote the body around it, and say whether the body was garbled (cut short, or not JSON at
//! all: worth another attempt) or of the wrong shape (not).

use serde::de::{self, DeserializeOwned};

use super::error::{Error, Result};
use super::error_body::{excerpt, first_byte, success_error_message};

/// Decodes a successful answer's body as `T`, the way the client does.
///
/// A body that is one of Halo's error shapes becomes an [`ErrorKind::Api`](super::ErrorKind::Api) error (Halo
/// reports some failures under status 200); an empty, malformed or truncated body, or one of another shape, becomes
/// an [`ErrorKind::Decode`](super::ErrorKind::Decode) error naming the field that failed and quoting a short excerpt
/// of the body.
pub fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    if let Some(message) = success_error_message(body) {
        return Err(Error::in_success(200, message, body));
    }
    decode_unchecked(body)
}

/// [`decode_json`] without the error-shape check, for callers that have done it already.
pub(crate) fn decode_unchecked<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    if first_byte(body).is_none() {
        return Err(Error::decode("the response body is empty; expected JSON").garbled());
    }
    // The fast path is plain serde_json; only a failure pays for a second, path-tracking pass.
    serde_json::from_slice(body).map_err(|error| decode_error::<T>(body, error))
}

#[cold]
fn decode_error<T: DeserializeOwned>(body: &[u8], first: serde_json::Error) -> Error {
    // The second pass stops where the first did, unless the first failed on trailing characters after a value.
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let (path, error) = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Err(error) => {
            let path = error.path().to_string();
            (path, error.into_inner())
        }
        Ok(_) => (String::new(), first),
    };
    let offset = byte_offset(body, error.line(), error.column());
    let message = if path == "." || path.is_empty() { error.to_string() } else { format!("at `{path}`: {error}") };
    let decoded = Error::decode(message).with_excerpt(excerpt(body, offset));
    // A body cut short, or not JSON at all (an HTML page from a proxy), may come right on the next attempt; a
    // body of the wrong shape will not.
    // A body of the wrong type can fail before the point where it is cut, so ask the syntax alone.
    let garbled = matches!(error.classify(), serde_json::error::Category::Eof | serde_json::error::Category::Syntax)
        || serde_json::from_slice::<de::IgnoredAny>(body).is_err();
    if garbled { decoded.garbled() } else { decoded }
}

/// The byte offset of serde_json's 1-based line and column (column 0 means "before the line").
fn byte_offset(body: &[u8], line: usize, column: usize) -> Option<usize> {
    if line == 0 {
        return None;
    }
    let line_start = if line == 1 {
        0
    } else {
        body.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(line - 2).map(|(i, _)| i + 1)?
    };
    Some((line_start + column.saturating_sub(1)).min(body.len()))
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::super::error::{ApiCode, ErrorKind};
    use super::*;

    #[test]
    fn decode_json_reports_error_bodies_and_bad_json() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Agent {
            id: i32,
            name: Option<String>,
        }
        let agent: Agent = decode_json(br#"{"id":1,"name":"a"}"#).unwrap();
        assert_eq!(agent.id, 1);

        let error = decode_json::<Agent>(br#"{"ClassName":"HaloException","Message":"No licence seats available"}"#)
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Api);
        assert_eq!(error.status(), Some(200));
        assert_eq!(error.message(), "No licence seats available");
        assert_eq!(error.to_string(), "halo answered 200 OK with an error: No licence seats available");

        let error = decode_json::<Agent>(b"").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Decode);
        assert!(error.message().contains("empty"), "{error}");

        let error = decode_json::<Vec<Agent>>(br#"[{"id":1},{"id":"x"}]"#).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Decode);
        assert!(error.message().starts_with("at `[1].id`: invalid type"), "{}", error.message());
        assert!(error.body_excerpt().unwrap().contains(r#"{"id":"x"}"#));

        let error = decode_json::<Agent>(br#"{"id":1,"name":"trunc"#).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Decode);
        assert!(error.message().contains("EOF"), "{}", error.message());

        let error = decode_json::<Agent>(br#"{"id":1} trailing"#).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Decode);
        assert!(error.message().contains("trailing"), "{}", error.message());
    }

    #[test]
    fn codes_for_the_failures_applications_handle() {
        let seats = r#"{"ClassName":"HaloException","Message":"No licence seats available"}"#;
        let error = decode_json::<Value>(seats.as_bytes()).unwrap_err();
        assert_eq!(
            (error.kind(), error.status(), error.code()),
            (ErrorKind::Api, Some(200), Some(ApiCode::NoLicenceSeats))
        );
        let error = decode_json::<Value>(br#"{"Message":"You have no available licenses"}"#).unwrap_err();
        assert_eq!(error.code(), Some(ApiCode::NoLicenceSeats));
        let error = decode_json::<Value>(br#"{"resultCode":3,"errorMessage":"Ticket is locked"}"#).unwrap_err();
        assert_eq!(error.code(), Some(ApiCode::ErrorInSuccess));
        // A record that mentions a licence is not an error at all.
        assert!(decode_json::<Value>(br#"{"id":1,"licence_type":2,"Message":"seat 4"}"#).is_ok());
    }
}
