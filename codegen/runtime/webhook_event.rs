//! The body of a webhook delivery: [`Delivery::parse`] turns it into [`Event`]s, all or nothing.

use std::collections::{BTreeSet, VecDeque};
use std::fmt;
use std::sync::{Mutex, PoisonError};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{Rejection, RejectionKind};
use crate::runtime::DateTime;

/// A JSON object as it came: the default payload type of [`Event`] and [`Delivery`].
pub type Json = serde_json::Map<String, Value>;

/// The fields every Halo event carries (Halo's guide "Webhook Integration": an ID, the notification ID, the escmsg
/// ID, the event name, the webhook ID, the object ID and a timestamp; the wire names, and `message` and
/// `agent_id`, from a payload seen on a live tenant: `spec/README.md`, "Webhooks").
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct Envelope {
    #[serde(deserialize_with = "text")]
    id: Option<String>,
    #[serde(deserialize_with = "text")]
    webhook_id: Option<String>,
    #[serde(deserialize_with = "crate::runtime::lenient::opt")]
    notification_id: Option<i64>,
    #[serde(deserialize_with = "text")]
    escmsg_id: Option<String>,
    event: Option<String>,
    message: Option<String>,
    #[serde(deserialize_with = "crate::runtime::lenient::opt")]
    object_id: Option<i64>,
    #[serde(deserialize_with = "crate::runtime::lenient::opt")]
    agent_id: Option<i64>,
    timestamp: Option<DateTime>,
}

/// An id Halo sends as a GUID string; a number is kept as its text.
fn text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(deserializer)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(Value::Number(number)) => Ok(Some(number.to_string())),
        Some(other) => Err(serde::de::Error::custom(format!("expected an id (text or a number), found {other}"))),
    }
}

/// One event of a delivery: the fields every Halo event has, typed, the event object as JSON, and the same object
/// decoded as `T` (your payload type; [`Json`] by default).
///
/// Halo's event names are its notification events ("New Ticket Logged", "Ticket Status Changed", ...), as the
/// webhook's configuration names them; compare them with [`is`](Self::is), which ignores case.
#[derive(Clone, Debug)]
pub struct Event<T = Json> {
    envelope: Envelope,
    json: Json,
    payload: T,
}

impl<T> Event<T> {
    /// Halo's id of this event (a GUID), the same when the delivery is sent again: what [`dedupe_key`](Self::dedupe_key)
    /// is made of.
    pub fn id(&self) -> Option<&str> {
        self.envelope.id.as_deref()
    }

    /// The id (a GUID) of the webhook that sent it.
    pub fn webhook_id(&self) -> Option<&str> {
        self.envelope.webhook_id.as_deref()
    }

    /// The id of the notification (the event subscription of the webhook) that fired.
    pub fn notification_id(&self) -> Option<i64> {
        self.envelope.notification_id
    }

    /// The id (a GUID) of the message Halo queued for this event (`escmsg_id`).
    pub fn escmsg_id(&self) -> Option<&str> {
        self.envelope.escmsg_id.as_deref()
    }

    /// The event's name (`event`), as Halo sends it: "New Ticket Logged", "ticket status changed", ...
    pub fn event_name(&self) -> Option<&str> {
        self.envelope.event.as_deref()
    }

    /// Whether the event's name is `name`, ignoring ASCII case (Halo's own casing varies).
    pub fn is(&self, name: &str) -> bool {
        self.envelope.event.as_deref().is_some_and(|event| event.eq_ignore_ascii_case(name))
    }

    /// Halo's text about the event (`message`: "The status has been changed for Ticket ID: 0004242.").
    pub fn message(&self) -> Option<&str> {
        self.envelope.message.as_deref()
    }

    /// The id of the record the event is about (`object_id`: the ticket's id for ticket events).
    pub fn object_id(&self) -> Option<i64> {
        self.envelope.object_id
    }

    /// The agent behind the event (`agent_id`), where Halo says.
    pub fn agent_id(&self) -> Option<i64> {
        self.envelope.agent_id
    }

    /// When the event happened, by Halo's clock (`timestamp`): the order of events of one record, whatever order
    /// their deliveries arrived in.
    pub fn timestamp(&self) -> Option<&DateTime> {
        self.envelope.timestamp.as_ref()
    }

    /// The event object as Halo sent it, every field included (`ticket`, the action, fields of a custom payload).
    pub fn json(&self) -> &Json {
        &self.json
    }

    /// The event object decoded as `T`.
    pub fn payload(&self) -> &T {
        &self.payload
    }

    /// The event object decoded as `T`, by value.
    pub fn into_payload(self) -> T {
        self.payload
    }

    /// What tells this event from others, and a repeat of it from a new one: Halo's event [`id`](Self::id) when the
    /// event has one (Halo's payloads do), otherwise the whole event object as compact JSON (a custom payload
    /// without an id: two identical objects then count as one event).
    pub fn dedupe_key(&self) -> DedupeKey {
        match &self.envelope.id {
            Some(id) => DedupeKey(format!("id:{id}")),
            None => DedupeKey(format!("json:{}", Value::Object(self.json.clone()))),
        }
    }
}

/// What [`Event::dedupe_key`] returns: equal for a repeat of an event, different for another event.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DedupeKey(String);

impl DedupeKey {
    /// The key as text (`id:<Halo's event id>`, or `json:<the event object>`), to store it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DedupeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The events of one webhook request, all of them parsed: a JSON object is one event, a JSON array (a batched
/// delivery) one event per element, in order.
#[derive(Clone, Debug)]
pub struct Delivery<T = Json> {
    endpoint: Option<String>,
    batch: bool,
    events: Vec<Event<T>>,
}

impl<T: DeserializeOwned> Delivery<T> {
    /// Parses a delivery's body, without checking credentials (the [`Receiver`](super::Receiver) does that first;
    /// use this for bodies from elsewhere, such as Halo's delivery log). Every event, or a 400 [`Rejection`] that
    /// names the first bad one and hands over nothing: a body that is empty or not JSON, that is not an object or
    /// an array of objects, or an event with a field of the wrong type (`timestamp` not a string, `object_id` not
    /// a number; or a field `T` cannot decode). Unknown fields are kept ([`Event::json`]). An empty array is a
    /// delivery without events.
    pub fn parse(body: &[u8]) -> Result<Delivery<T>, Rejection> {
        let body = body.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(body);
        if body.trim_ascii().is_empty() {
            return Err(bad("the body is empty; Halo sends a JSON object, or an array of them"));
        }
        let value: Value =
            serde_json::from_slice(body).map_err(|error| bad(format!("the body is not JSON: {error}")))?;
        let (batch, objects) = match value {
            Value::Object(object) => (false, vec![object]),
            Value::Array(items) => {
                let mut objects = Vec::with_capacity(items.len());
                for (index, item) in items.into_iter().enumerate() {
                    match item {
                        Value::Object(object) => objects.push(object),
                        other => {
                            return Err(bad(format!("[{index}]: an event is a JSON object, not {}", kind(&other))));
                        }
                    }
                }
                (true, objects)
            }
            other => {
                return Err(bad(format!(
                    "the body is {}; Halo sends a JSON object, or an array of them",
                    kind(&other)
                )));
            }
        };
        let mut events = Vec::with_capacity(objects.len());
        for (index, json) in objects.into_iter().enumerate() {
            let at = |error: String| if batch { bad(format!("[{index}].{error}")) } else { bad(error) };
            // One copy, decoded twice by reference: the envelope, then the caller's payload type.
            let value = Value::Object(json.clone());
            let envelope: Envelope = decode(&value).map_err(at)?;
            let payload: T = decode(&value).map_err(at)?;
            events.push(Event { envelope, json, payload });
        }
        Ok(Delivery { endpoint: None, batch, events })
    }
}

/// Decodes an event object, naming the field that failed (`ticket.status_id: invalid type: ...`).
fn decode<T: DeserializeOwned>(value: &Value) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if path == "." { inner.to_string() } else { format!("{path}: {inner}") }
    })
}

fn bad(message: impl Into<String>) -> Rejection {
    Rejection::new(RejectionKind::BadRequest, message)
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl<T> Delivery<T> {
    pub(crate) fn with_endpoint(mut self, endpoint: &str) -> Self {
        self.endpoint = Some(endpoint.to_owned());
        self
    }

    /// The name of the [`Endpoint`](super::Endpoint) that accepted it (which Halo instance sent it); `None` for a
    /// body parsed with [`Delivery::parse`] alone.
    pub fn endpoint(&self) -> Option<&str> {
        self.endpoint.as_deref()
    }

    /// Whether the body was a JSON array (a batched delivery), even of one event.
    pub fn is_batch(&self) -> bool {
        self.batch
    }

    /// The events, in the order Halo listed them.
    pub fn events(&self) -> &[Event<T>] {
        &self.events
    }

    /// The events, by value.
    pub fn into_events(self) -> Vec<Event<T>> {
        self.events
    }
}

impl<T> IntoIterator for Delivery<T> {
    type Item = Event<T>;
    type IntoIter = std::vec::IntoIter<Event<T>>;

    fn into_iter(self) -> Self::IntoIter {
        self.events.into_iter()
    }
}

/// The [`DedupeKey`]s of the last `capacity` events handled, to skip repeats: check with
/// [`contains`](Self::contains) before handling an event, and [`insert`](Self::insert) it once handled (not before:
/// an event whose handling failed must be handled when Halo sends it again). Safe to share between threads.
///
/// It lives in memory: a process that restarts forgets it (store the keys with your data to survive restarts). Two
/// copies of one event handled at the same moment are both handled; make handling idempotent, or serialise it.
#[derive(Debug)]
pub struct Dedupe {
    capacity: usize,
    seen: Mutex<(BTreeSet<DedupeKey>, VecDeque<DedupeKey>)>,
}

impl Dedupe {
    /// Remembers the last `capacity` keys inserted (at least one).
    pub fn new(capacity: usize) -> Self {
        Dedupe { capacity: capacity.max(1), seen: Mutex::new((BTreeSet::new(), VecDeque::new())) }
    }

    /// Whether `key` was inserted and not yet forgotten.
    pub fn contains(&self, key: &DedupeKey) -> bool {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner).0.contains(key)
    }

    /// Remembers `key`, forgetting the oldest key when full; `false` when it was already there.
    pub fn insert(&self, key: DedupeKey) -> bool {
        let mut guard = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let (set, order) = &mut *guard;
        if !set.insert(key.clone()) {
            return false;
        }
        order.push_back(key);
        while order.len() > self.capacity {
            if let Some(oldest) = order.pop_front() {
                set.remove(&oldest);
            }
        }
        true
    }

    /// How many keys it remembers.
    pub fn len(&self) -> usize {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner).1.len()
    }

    /// Whether it remembers no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body Halo sent for "ticket status changed" on a live tenant (homotechsual/dotMARC's test of it, the
    /// ticket shortened there): `spec/README.md`, "Webhooks".
    const LIVE: &str = r#"{
      "id": "8e25bc7b-e07e-4102-9398-5d6647e1e79d",
      "webhook_id": "53232637-7724-4a19-b126-3c7267a292aa",
      "notification_id": 41,
      "escmsg_id": "a726ee11-acb8-f111-8260-02725cb0e102",
      "event": "ticket status changed",
      "message": "The status has been changed for Ticket ID: 0004242.",
      "object_id": 4242,
      "agent_id": 3,
      "timestamp": "2026-09-25T06:41:08.7895915Z",
      "ticket": {"id": 4242, "summary": "redacted", "status_id": 9, "tickettype_id": 25, "client_id": 1,
                 "team_id": 5, "agent_id": 3, "customfields": [], "hasbeenclosed": true}
    }"#;

    #[derive(Debug, Deserialize)]
    struct Ticketed {
        ticket: Option<TicketStatus>,
    }

    #[derive(Debug, Deserialize)]
    struct TicketStatus {
        id: i64,
        status_id: i64,
    }

    #[test]
    fn a_live_payload_is_typed() {
        let delivery = Delivery::<Ticketed>::parse(LIVE.as_bytes()).unwrap();
        assert!(!delivery.is_batch());
        let [event] = delivery.events() else { panic!("one event") };
        assert_eq!(event.id(), Some("8e25bc7b-e07e-4102-9398-5d6647e1e79d"));
        assert_eq!(event.webhook_id(), Some("53232637-7724-4a19-b126-3c7267a292aa"));
        assert_eq!((event.notification_id(), event.object_id(), event.agent_id()), (Some(41), Some(4242), Some(3)));
        assert_eq!(event.escmsg_id(), Some("a726ee11-acb8-f111-8260-02725cb0e102"));
        assert!(event.is("Ticket Status Changed"));
        assert!(event.message().is_some_and(|m| m.contains("0004242")));
        let at = event.timestamp().and_then(DateTime::to_offset_date_time).expect("a time");
        assert_eq!((at.second(), at.nanosecond()), (8, 789_591_500));
        let ticket = event.payload().ticket.as_ref().expect("the ticket");
        assert_eq!((ticket.id, ticket.status_id), (4242, 9));
        assert_eq!(event.json()["ticket"]["hasbeenclosed"], true);
        assert_eq!(event.dedupe_key().as_str(), "id:8e25bc7b-e07e-4102-9398-5d6647e1e79d");
    }

    #[test]
    fn batches_unknown_events_and_lenient_ids() {
        let body = br#"[{"id": 7, "event": "Something New", "object_id": "12", "client": {"id": 3}}, {"event": "x"}]"#;
        let delivery = Delivery::<Json>::parse(body).unwrap();
        assert!(delivery.is_batch());
        let events = delivery.into_events();
        assert_eq!((events[0].id(), events[0].object_id()), (Some("7"), Some(12)));
        assert_eq!(events[0].payload()["client"]["id"], 3, "unknown objects stay JSON");
        assert_eq!(events[1].dedupe_key().as_str(), r#"json:{"event":"x"}"#);
        assert!(Delivery::<Json>::parse(b" [] ").unwrap().events().is_empty());
        assert!(Delivery::<Json>::parse(b"\xEF\xBB\xBF{}").is_ok(), "a byte order mark is ignored");
    }

    #[test]
    fn a_bad_event_rejects_the_whole_delivery() {
        let reject = |body: &str| {
            let rejection = Delivery::<Ticketed>::parse(body.as_bytes()).unwrap_err();
            assert_eq!(rejection.kind(), RejectionKind::BadRequest);
            rejection.message().to_owned()
        };
        assert!(reject("").contains("empty"));
        assert!(reject("{\"id\": ").contains("not JSON"));
        assert!(reject("42").contains("a number"));
        assert!(reject(r#"[{"id": "a"}, "b"]"#).starts_with("[1]: an event is a JSON object, not a string"));
        assert!(reject(r#"[{"id": "a"}, {"id": "b", "timestamp": 5}]"#).starts_with("[1].timestamp: "));
        assert!(reject(r#"{"object_id": "forty"}"#).starts_with("object_id: "));
        assert!(reject(r#"{"id": {"nested": 1}}"#).starts_with("id: expected an id"));
        // The payload type's own fields count too: the whole batch is refused for one bad ticket.
        let message = reject(r#"[{"ticket": {"id": 1, "status_id": 2}}, {"ticket": {"id": 2, "status_id": "open"}}]"#);
        assert!(message.starts_with("[1].ticket.status_id: invalid type"), "{message}");
    }

    #[test]
    fn dedupe_remembers_the_last_keys() {
        let dedupe = Dedupe::new(2);
        let key =
            |n: i32| Delivery::<Json>::parse(format!(r#"{{"id": {n}}}"#).as_bytes()).unwrap().events()[0].dedupe_key();
        assert!(dedupe.insert(key(1)));
        assert!(!dedupe.insert(key(1)));
        assert!(dedupe.contains(&key(1)) && !dedupe.contains(&key(2)));
        dedupe.insert(key(2));
        dedupe.insert(key(3));
        assert!(!dedupe.contains(&key(1)), "the oldest is forgotten");
        assert_eq!(dedupe.len(), 2);
    }
}
