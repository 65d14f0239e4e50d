//! Re-delivering what Halo logged: [`Replay`] reads a webhook's delivery log (`GET /WebhookEvent`) and parses the
//! request bodies it holds, so that a receiver that was down can hand them to its own handler.

use std::collections::BTreeSet;

use reqwest::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{Delivery, Json, Rejection, RejectionKind};
use crate::runtime::{Client, DateTime, Error, Result};

/// Halo's page cap: a page shorter than this is the last.
const PAGE_SIZE: i64 = 100;
/// A bound on the pages read, so that a server that never ends its listing cannot keep a replay going forever.
const MAX_PAGES: i64 = 10_000;

/// Reads a webhook's delivery log and parses each logged request body into a [`Delivery`], to re-deliver them to
/// your handler after downtime (Halo logs every call of a webhook, with the body it sent and the answer it got).
///
/// Halo's log has no date filter, so every logged call of the webhook is read (page by page) and those before
/// [`since`](Self::since) are left out here. Deliveries come oldest first; a delivery Halo tried several times is
/// in the log (and so here) once per try, so skip repeats with [`Event::dedupe_key`](super::Event::dedupe_key).
/// Needs the scope `admin` (or `all`), like the rest of the webhook configuration.
///
/// ```no_run
/// # async fn example(client: halopsa::Client) -> halopsa::Result<()> {
/// use halopsa::webhook_receiver::{Json, Replay};
///
/// let down_since: halopsa::DateTime = "2026-03-02T09:00:00Z".parse().expect("a date");
/// let replay = Replay::new("53232637-7724-4a19-b126-3c7267a292aa").since(down_since).failed_only(true);
/// for logged in replay.fetch::<Json>(&client).await? {
///     match logged.into_delivery() {
///         Ok(delivery) => { /* the same handler as the web endpoint's */ let _ = delivery; }
///         Err(rejection) => eprintln!("a logged body that is not a delivery: {rejection}"),
///     }
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a replay does nothing until it is fetched"]
pub struct Replay {
    webhook_id: String,
    since: Option<DateTime>,
    failed_only: bool,
    endpoint: Option<String>,
}

impl Replay {
    /// The logged calls of the webhook with this id (a GUID: [`Event::webhook_id`](super::Event::webhook_id), or
    /// the `id` of the webhook as `client.webhooks()` lists it).
    pub fn new(webhook_id: impl Into<String>) -> Self {
        Replay { webhook_id: webhook_id.into(), since: None, failed_only: false, endpoint: None }
    }

    /// Only calls logged at or after `time` (a call whose log has no valid time is kept: better twice than never).
    pub fn since(mut self, time: impl Into<DateTime>) -> Self {
        self.since = Some(time.into());
        self
    }

    /// Only calls that failed: no answer, or an answer outside 200-299 (default: every call).
    pub fn failed_only(mut self, failed_only: bool) -> Self {
        self.failed_only = failed_only;
        self
    }

    /// The endpoint name the deliveries report ([`Delivery::endpoint`]), as if a [`Receiver`](super::Receiver)
    /// had accepted them there.
    pub fn endpoint(mut self, name: impl Into<String>) -> Self {
        self.endpoint = Some(name.into());
        self
    }

    /// Reads the log and parses each logged body as a delivery of `T` (see
    /// [`Receiver::receive`](super::Receiver::receive)). An error when the log cannot be read (the client's usual
    /// errors, or a log answer of an unknown shape); a logged body that does not parse is not an error of the
    /// replay: it comes back as that log entry's [`Rejection`].
    pub async fn fetch<T: DeserializeOwned>(&self, client: &Client) -> Result<Vec<Replayed<T>>> {
        let since = self.since.as_ref().and_then(DateTime::to_offset_date_time);
        let mut seen = BTreeSet::new();
        let mut logs: Vec<Logged> = Vec::new();
        for page_no in 1..=MAX_PAGES {
            let page: Value = client
                .request(Method::GET, "/WebhookEvent")
                .query("webhook_id", self.webhook_id.as_str())
                .query("pageinate", true)
                .query("page_size", PAGE_SIZE)
                .query("page_no", page_no)
                .send()
                .await?;
            let (records, record_count) = records(page)?;
            let len = records.len();
            let mut new = 0;
            for record in records {
                let log: Logged = serde_json::from_value(record)
                    .map_err(|error| Error::decode(format!("a logged call of the webhook: {error}")))?;
                if log.id.as_ref().is_none_or(|id| seen.insert(id.clone())) {
                    new += 1;
                    logs.push(log);
                }
            }
            let complete = record_count.is_some_and(|count| seen.len() as u64 >= count);
            if len < PAGE_SIZE as usize || new == 0 || complete {
                break;
            }
        }
        logs.retain(|log| {
            let recent = match (&since, log.timestamp.as_ref().and_then(DateTime::to_offset_date_time)) {
                (Some(since), Some(at)) => at >= *since,
                _ => true,
            };
            let failed =
                log.error == Some(true) || !log.responsestatus.is_some_and(|status| (200..300).contains(&status));
            recent && (!self.failed_only || failed)
        });
        logs.sort_by_key(|log| log.timestamp.as_ref().and_then(DateTime::to_offset_date_time));
        Ok(logs.into_iter().map(|log| log.replayed(self.endpoint.as_deref())).collect())
    }
}

/// The records of one page of the log: a bare array, or Halo's wrapper. No source names the wrapper's key (the
/// spec's `webhookevents` is inferred), so an object whose only array is under another key is read too.
fn records(page: Value) -> Result<(Vec<Value>, Option<u64>)> {
    match page {
        Value::Array(records) => Ok((records, None)),
        Value::Object(mut wrapper) => {
            let count = wrapper.get("record_count").and_then(Value::as_u64);
            let key = match wrapper.get("webhookevents") {
                Some(Value::Array(_)) => Some("webhookevents".to_owned()),
                _ => {
                    let arrays: Vec<&String> = wrapper.iter().filter(|(_, v)| v.is_array()).map(|(k, _)| k).collect();
                    (arrays.len() == 1).then(|| arrays[0].clone())
                }
            };
            match key.and_then(|key| wrapper.remove(&key)) {
                Some(Value::Array(records)) => Ok((records, count)),
                _ if count == Some(0) => Ok((Vec::new(), count)),
                _ => Err(Error::decode("the webhook log's answer holds no list of logged calls")),
            }
        }
        _ => Err(Error::decode("the webhook log's answer is neither a list nor Halo's list wrapper")),
    }
}

/// What the replay reads of a log entry (Halo's `WebhookEvent`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Logged {
    id: Option<String>,
    timestamp: Option<DateTime>,
    requestbody: Option<String>,
    #[serde(deserialize_with = "crate::runtime::lenient::opt")]
    responsestatus: Option<i64>,
    #[serde(deserialize_with = "crate::runtime::lenient::opt")]
    error: Option<bool>,
}

impl Logged {
    fn replayed<T: DeserializeOwned>(self, endpoint: Option<&str>) -> Replayed<T> {
        let delivery = match &self.requestbody {
            Some(body) => Delivery::parse(body.as_bytes()).map(|delivery| match endpoint {
                Some(name) => delivery.with_endpoint(name),
                None => delivery,
            }),
            None => Err(Rejection::new(
                RejectionKind::BadRequest,
                "the log holds no request body (a webhook with lightweight logs keeps none)",
            )),
        };
        Replayed { log_id: self.id, timestamp: self.timestamp, response_status: self.responsestatus, delivery }
    }
}

/// One logged call of a webhook, read by [`Replay::fetch`]: when it was made, what the receiver answered, and the
/// delivery it carried (or why its body is not one).
#[derive(Clone, Debug)]
pub struct Replayed<T = Json> {
    log_id: Option<String>,
    timestamp: Option<DateTime>,
    response_status: Option<i64>,
    delivery: std::result::Result<Delivery<T>, Rejection>,
}

impl<T> Replayed<T> {
    /// The id of the log entry (a GUID).
    pub fn log_id(&self) -> Option<&str> {
        self.log_id.as_deref()
    }

    /// When Halo made the call.
    pub fn timestamp(&self) -> Option<&DateTime> {
        self.timestamp.as_ref()
    }

    /// The status the receiver answered with; `None` when it did not answer.
    pub fn response_status(&self) -> Option<i64> {
        self.response_status
    }

    /// The delivery, or why the logged body is not one.
    pub fn delivery(&self) -> std::result::Result<&Delivery<T>, &Rejection> {
        self.delivery.as_ref()
    }

    /// The delivery by value, or why the logged body is not one.
    pub fn into_delivery(self) -> std::result::Result<Delivery<T>, Rejection> {
        self.delivery
    }
}
