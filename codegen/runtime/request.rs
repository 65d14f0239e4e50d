//! A request before it is sent: method, path relative to the API base, query pairs and an optional JSON body.
//!
//! Generated request builders fill a [`Request`] and hand it to one of the `Client::send_*` methods, which add the
//! API base, authentication, retries and decoding.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use percent_encoding::utf8_percent_encode;
use reqwest::Method;

use super::encode::QUERY;
use super::error::{Error, Result};
use super::retry::RetryPolicy;

/// One API request: method, path relative to the API base (`/Agent/12`), query pairs and an optional JSON body.
#[derive(Clone)]
pub struct Request {
    pub(crate) method: Method,
    pub(crate) path: String,
    /// Name and value, not yet percent-encoded, in the order they were added.
    pub(crate) query: Vec<(String, String)>,
    /// `Bytes`, so that each attempt of a retried request sends the same buffer instead of a copy.
    pub(crate) body: Option<Bytes>,
    /// Whether sending it twice has the same effect as sending it once: decides what is retried (see
    /// `RetryPolicy`). From the HTTP method unless the generator knows better from the spec (an update of an id is
    /// an idempotent POST).
    pub(crate) idempotent: bool,
    pub(crate) options: RequestOptions,
    /// The spec's `operationId`, for hooks; `None` for [`Client::request`](super::Client::request).
    pub(crate) operation: Option<&'static str>,
    /// The OAuth scopes the operation accepts, any one of which is enough (from the spec's security requirements);
    /// empty when unknown or none is needed. A 401 or 403 error names them (`permissions.rs`).
    pub(crate) scopes: &'static [&'static str],
    /// A URL outside the API that Halo answered a download with (`{"link": ...}`): requested as it is, without the
    /// Halo token (`path` is then the link without its query, for errors).
    pub(crate) link: Option<reqwest::Url>,
}

/// The per-request overrides of a request builder (`.timeout(..)`, `.retry_policy(..)`).
#[derive(Clone, Debug, Default)]
pub(crate) struct RequestOptions {
    pub(crate) retry: Option<RetryPolicy>,
    pub(crate) timeout: Option<Duration>,
}

impl Request {
    /// A request for `path`, relative to the API base (`/Agent`; a missing leading `/` is added).
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        let mut path = path.into();
        if !path.starts_with('/') {
            path.insert(0, '/');
        }
        let idempotent = method.is_idempotent();
        Request {
            method,
            path,
            query: Vec::new(),
            body: None,
            idempotent,
            options: RequestOptions::default(),
            operation: None,
            scopes: &[],
            link: None,
        }
    }

    /// A GET of the link a download was answered with, with the download's operation, timeout and retry policy.
    pub(crate) fn for_link(link: reqwest::Url, options: RequestOptions, operation: Option<&'static str>) -> Request {
        let mut request = Request::new(Method::GET, "/");
        request.path = link_without_query(&link);
        request.options = options;
        request.operation = operation;
        request.link = Some(link);
        request
    }

    /// Names the operation (the spec's `operationId`), for hooks.
    pub(crate) fn set_operation(&mut self, operation_id: &'static str) {
        self.operation = Some(operation_id);
    }

    /// The scopes the operation accepts (emitted from the spec's security requirements).
    pub(crate) fn set_scopes(&mut self, scopes: &'static [&'static str]) {
        self.scopes = scopes;
    }

    /// Marks the request as idempotent (or not), overriding what its HTTP method says.
    pub(crate) fn set_idempotent(&mut self, idempotent: bool) {
        self.idempotent = idempotent;
    }

    /// Adds the query parameter `name` when `value` is `Some`; `None` adds nothing.
    ///
    /// Booleans are sent as `true`/`false` and lists comma-separated (`teams=1,2,3`; an empty list as `teams=`).
    pub fn query<V: QueryValue + ?Sized>(&mut self, name: &str, value: Option<&V>) {
        if let Some(value) = value {
            let mut text = String::new();
            value.write_query(&mut text);
            self.query.push((name.to_owned(), text));
        }
    }

    /// Serialises `body` as the JSON body of the request.
    pub fn json_body<B: serde::Serialize + ?Sized>(&mut self, body: &B) -> Result<()> {
        let bytes = serde_json::to_vec(body)
            .map_err(|error| Error::invalid_request(format!("cannot serialise the request body: {error}")))?;
        self.body = Some(Bytes::from(bytes));
        Ok(())
    }

    /// The value of the query parameter `name` (the last one, if it was added more than once).
    pub(crate) fn query_value(&self, name: &str) -> Option<&str> {
        self.query.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Sets a request builder's query parameter `name`, replacing an earlier value: the pairs stay sorted by name
    /// (byte order), so the query on the wire does not depend on the order the setters were called in.
    pub(crate) fn put_query(&mut self, name: &str, value: String) {
        match self.query.binary_search_by(|(n, _)| n.as_str().cmp(name)) {
            Ok(index) => self.query[index].1 = value,
            Err(index) => self.query.insert(index, (name.to_owned(), value)),
        }
    }

    /// Sets the query parameter `name`, replacing every earlier value, at the end.
    pub(crate) fn set_query(&mut self, name: &str, value: String) {
        self.query.retain(|(n, _)| n != name);
        self.query.push((name.to_owned(), value));
    }

    /// The path and the percent-encoded query, to append to the API base.
    pub(crate) fn path_and_query(&self) -> String {
        let mut out = self.path.clone();
        for (index, (name, value)) in self.encoded_query().enumerate() {
            out.push(if index == 0 { '?' } else { '&' });
            out.push_str(&name);
            out.push('=');
            out.push_str(&value);
        }
        out
    }

    /// The query pairs, percent-encoded as they are sent.
    pub(crate) fn encoded_query(&self) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
        self.query
            .iter()
            .map(|(name, value)| (utf8_percent_encode(name, QUERY).into(), utf8_percent_encode(value, QUERY).into()))
    }

    /// Refuses paths the URL parser would rewrite: a `.` or `..` segment (also when escaped: `%2e`) would climb
    /// out of the resource, and an empty segment (an empty id, as in `/Agent/`) would address the collection
    /// instead of one record, which for a `DELETE` is not a harmless mistake.
    pub(crate) fn check_path(&self) -> Result<()> {
        if self.link.is_some() {
            return Ok(());
        }
        for segment in self.path[1..].split('/') {
            let lower = segment.to_ascii_lowercase().replace("%2e", ".");
            if segment.is_empty() || lower == "." || lower == ".." {
                return Err(Error::invalid_request(format!(
                    "path `{}` has an empty, `.` or `..` segment; an id passed to the request is probably empty",
                    self.path
                )));
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Request {
    /// The body is left out: it may hold passwords (`Agent.password`) and is rarely readable anyway.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("body", &self.body.as_ref().map(|body| format!("{} bytes", body.len())))
            .field("idempotent", &self.idempotent)
            .finish_non_exhaustive()
    }
}

/// A link without its query and fragment, which may hold its signature (a pre-signed URL's): what errors and hooks
/// show of it.
pub(crate) fn link_without_query(link: &reqwest::Url) -> String {
    let mut shown = link.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

/// A value that can be sent as a query parameter.
pub trait QueryValue {
    /// Appends the value as text, before percent-encoding.
    fn write_query(&self, out: &mut String);
}

impl QueryValue for str {
    fn write_query(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl QueryValue for String {
    fn write_query(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl QueryValue for bool {
    fn write_query(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

macro_rules! display_query_value {
    ($($ty:ty),*) => {$(
        impl QueryValue for $ty {
            fn write_query(&self, out: &mut String) {
                use std::fmt::Write;
                // Writing to a String cannot fail.
                let _ = write!(out, "{self}");
            }
        }
    )*};
}

// f64's Display never uses an exponent (1e21 prints as 1000000000000000000000), which every server parses.
display_query_value!(i32, i64, u32, u64, f64);

impl<T: QueryValue> QueryValue for [T] {
    fn write_query(&self, out: &mut String) {
        for (index, item) in self.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            item.write_query(out);
        }
    }
}

impl<T: QueryValue> QueryValue for Vec<T> {
    fn write_query(&self, out: &mut String) {
        self.as_slice().write_query(out);
    }
}

impl<T: QueryValue + ?Sized> QueryValue for &T {
    fn write_query(&self, out: &mut String) {
        (**self).write_query(out);
    }
}

#[cfg(test)]
mod tests {
    use super::super::encode::path_segment;
    use super::*;

    #[test]
    fn query_encoding() {
        let mut request = Request::new(Method::GET, "Agent");
        request.query("pageinate", Some(&true));
        request.query("includedisabled", Some(&false));
        request.query("page_size", Some(&100i32));
        request.query("client_id", Some(&-1i64));
        request.query("costprice", Some(&12.5f64));
        request.query::<String>("search", None);
        request.query("search", Some(&"Smith, John & Co/+?=é".to_owned()));
        request.query("teams", Some(&vec![1i32, 2, 3]));
        request.query("roles", Some(&vec!["a b".to_owned(), "c,d".to_owned()]));
        request.query("empty", Some(&Vec::<i32>::new()));
        request.query("new_external_link.elid", Some("x~y"));
        assert_eq!(request.path, "/Agent");
        assert_eq!(
            request.path_and_query(),
            "/Agent?pageinate=true&includedisabled=false&page_size=100&client_id=-1&costprice=12.5\
             &search=Smith,%20John%20%26%20Co%2F%2B%3F%3D%C3%A9&teams=1,2,3&roles=a%20b,c,d&empty=\
             &new_external_link.elid=x~y"
        );
    }

    #[test]
    fn put_query_keeps_names_sorted_and_replaces() {
        let mut request = Request::new(Method::GET, "/Agent");
        request.put_query("team_id", "3".into());
        request.put_query("excludeAgent", "7".into());
        request.put_query("search", "a".into());
        request.put_query("search", "b b".into());
        request.put_query("Page_No", "2".into());
        assert_eq!(request.path_and_query(), "/Agent?Page_No=2&excludeAgent=7&search=b%20b&team_id=3");
    }

    #[test]
    fn set_query_replaces() {
        let mut request = Request::new(Method::GET, "/Agent");
        request.query("page_no", Some(&3i32));
        assert_eq!(request.query_value("page_no"), Some("3"));
        request.set_query("page_no", "4".into());
        request.set_query("pageinate", "true".into());
        assert_eq!(request.path_and_query(), "/Agent?page_no=4&pageinate=true");
        assert_eq!(request.query_value("missing"), None);
    }

    #[test]
    fn dot_and_empty_segments_are_refused() {
        for id in ["", ".", "..", "%2e%2E"] {
            let path = format!("/Agent/{}", if id.starts_with('%') { id.to_owned() } else { path_segment(&id) });
            let error = Request::new(Method::DELETE, path).check_path().unwrap_err();
            assert_eq!(error.kind(), crate::runtime::ErrorKind::InvalidRequest);
        }
        assert!(Request::new(Method::GET, "/Agent/12").check_path().is_ok());
        assert!(Request::new(Method::GET, "/Agent/a..b").check_path().is_ok());
        assert!(Request::new(Method::GET, "/Agent//me").check_path().is_err());
    }

    #[test]
    fn json_body_and_debug() {
        let mut request = Request::new(Method::POST, "/Agent");
        request.json_body(&[serde_json::json!({"name": "a", "password": "hunter2"})]).unwrap();
        assert_eq!(request.body.as_deref(), Some(br#"[{"name":"a","password":"hunter2"}]"#.as_slice()));
        let debug = format!("{request:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("35 bytes"), "{debug}");
        let mut bad = std::collections::BTreeMap::new();
        bad.insert(vec![1u8], 1);
        let error = request.json_body(&bad).unwrap_err();
        assert_eq!(error.kind(), crate::runtime::ErrorKind::InvalidRequest);
    }
}
