//! What the generated functions read (the parsed arguments, the record to send) and what they return (the request,
//! ready to send or to show with `--dry-run`).

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;

use clap::ArgMatches;
use clap::parser::ValueSource;
use futures_core::Stream;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::table::{Answer, Body, Flag, Kind, Operation};

/// A boxed future, so one type holds whatever a request's `send()` returns.
pub type Pending<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Why the command failed; `exit.rs` turns each into an exit code and a message.
#[derive(Debug)]
pub enum Failure {
    /// The arguments or the `--json` input are wrong.
    Usage(String),
    /// The configuration is missing or wrong.
    Config(String),
    /// The client's error: Halo's answer, the network, ...
    Halo(halopsa::Error),
    /// A listing that failed part way: the records read come with it.
    Listing { error: halopsa::Error, read: Vec<Value> },
    /// Writing the output failed.
    Output(String),
}

impl From<halopsa::Error> for Failure {
    fn from(error: halopsa::Error) -> Self {
        Failure::Halo(error)
    }
}

/// The records of one page, and how many there are in all when Halo says.
pub type Page = (Vec<Value>, Option<u64>);

/// What an operation does once sent.
pub enum Action {
    /// Prints a JSON value: a record, the records a create-many saved, ...
    Value(Pending<Result<Value, Failure>>),
    /// Prints the records of one page (and says how many there are in all, when Halo does).
    Page(Pending<Result<Page, Failure>>),
    /// Prints every record of a listing, page by page.
    Listing(Pending<Result<Vec<Value>, Failure>>),
    /// Prints nothing.
    Empty(Pending<Result<(), Failure>>),
    /// Writes a file.
    Bytes(Pending<Result<Vec<u8>, Failure>>),
    /// `--dry-run`: the request as the crate would send it (its `Debug`: method, path and query), not sent; and a
    /// note on how it would be sent (`--all`).
    DryRun { request: String, note: Option<&'static str> },
}

/// A value given on the command line, as its flag's type reads it.
#[allow(dead_code)] // the curated spec may not use every type (`table::Kind`)
#[derive(Debug, Clone)]
pub enum Given {
    /// `Kind::Bool`.
    Bool(bool),
    /// `Kind::I32`.
    I32(i32),
    /// `Kind::I64`.
    I64(i64),
    /// `Kind::F64`.
    F64(f64),
    /// `Kind::Text` and `Kind::Enum`.
    Text(String),
    /// `Kind::Date`.
    Date(halopsa::DateTime),
    /// `Kind::I32s`.
    I32s(Vec<i32>),
    /// `Kind::I64s`.
    I64s(Vec<i64>),
    /// `Kind::Texts`.
    Texts(Vec<String>),
}

// The generated code asks for the type its table gave the flag, so another variant is a generator bug.
macro_rules! given_accessors {
    ($($name:ident: $variant:ident -> $ty:ty;)*) => {
        #[allow(dead_code)] // see `Given`
        impl Given {
            $(
                #[doc = concat!("The value of a `Kind::", stringify!($variant), "` flag.")]
                pub fn $name(self) -> $ty {
                    match self {
                        Given::$variant(value) => value,
                        other => unreachable!("the generated table and code disagree on a flag's type: {other:?}"),
                    }
                }
            )*
        }
    };
}

given_accessors! {
    bool: Bool -> bool;
    i32: I32 -> i32;
    i64: I64 -> i64;
    f64: F64 -> f64;
    text: Text -> String;
    date: Date -> halopsa::DateTime;
    i32s: I32s -> Vec<i32>;
    i64s: I64s -> Vec<i64>;
    texts: Texts -> Vec<String>;
}

/// The parsed arguments of one operation, and what `--dry-run` shows.
pub struct Input {
    op: &'static Operation,
    matches: ArgMatches,
    dry_run: bool,
    stdin_is_terminal: bool,
    /// The body as it is sent, for `--dry-run`.
    pub(crate) body: Option<Value>,
}

impl Input {
    /// The arguments of `op`.
    pub fn new(op: &'static Operation, matches: ArgMatches, dry_run: bool) -> Self {
        use std::io::IsTerminal;
        Input { op, matches, dry_run, stdin_is_terminal: std::io::stdin().is_terminal(), body: None }
    }

    /// Whether `--all` was given.
    pub fn all(&self) -> bool {
        self.matches.try_get_one::<bool>("all").ok().flatten().copied().unwrap_or(false)
    }

    /// The positional argument `index`.
    pub fn arg(&self, index: usize) -> Given {
        let arg = &self.op.args[index];
        read(&self.matches, arg.name, arg.kind).expect("positional arguments are required")
    }

    /// The query flags given, by index into the operation's `flags`.
    pub fn query(&self) -> Vec<(usize, Given)> {
        given(&self.matches, self.op.flags).collect()
    }

    /// The record to send: the `--json` object (if any) with the field flags set on top, decoded into the model.
    pub fn record<T: DeserializeOwned + Serialize>(&mut self) -> Result<T, Failure> {
        let Body::Record { fields, array, id, .. } = &self.op.body else {
            unreachable!("the generated code asks for a record where its table says one is sent")
        };
        let mut object = match self.json()? {
            None => Map::new(),
            Some(Value::Object(object)) => object,
            Some(_) => return Err(Failure::Usage("--json: expected a JSON object (one record)".into())),
        };
        for (index, value) in given(&self.matches, fields) {
            object.insert(fields[index].wire.to_owned(), json_of(value)?);
        }
        let record: T = decode(Value::Object(object), "the record")?;
        // What goes on the wire, as the crate writes it: the record, its id (an update's argument) written in.
        let mut sent = serde_json::to_value(&record).map_err(|e| Failure::Usage(e.to_string()))?;
        if let (Some(id), Value::Object(object)) = (id, &mut sent) {
            let value = match self.arg(self.op.args.len() - 1) {
                Given::I32(n) => Value::from(n),
                Given::I64(n) => Value::from(n),
                other => Value::String(other.text()),
            };
            object.insert((*id).to_owned(), value);
        }
        self.body = Some(if *array { Value::Array(vec![sent]) } else { sent });
        Ok(record)
    }

    /// The records to send: the `--json` array.
    pub fn records<T: DeserializeOwned + Serialize>(&mut self) -> Result<Vec<T>, Failure> {
        let items = self.items()?;
        let records: Vec<T> = decode(Value::Array(items), "the records")?;
        self.body = Some(serde_json::to_value(&records).map_err(|e| Failure::Usage(e.to_string()))?);
        Ok(records)
    }

    /// A JSON body that is not one record: the `--json` input as it is.
    #[allow(dead_code)] // the curated spec has none (`table::Kind`)
    pub fn body<T: DeserializeOwned + Serialize>(&mut self) -> Result<T, Failure> {
        let value = self.json()?.ok_or_else(|| Failure::Usage("--json FILE is required".into()))?;
        let body: T = decode(value, "the body")?;
        self.body = Some(serde_json::to_value(&body).map_err(|e| Failure::Usage(e.to_string()))?);
        Ok(body)
    }

    /// The `(id, record)` pairs of an update-many: the `--json` array, each record with its id.
    pub fn pairs<I: TryFrom<i64>, T: DeserializeOwned + Serialize>(&mut self) -> Result<Vec<(I, T)>, Failure> {
        let Body::Records { id: Some(id_member), .. } = &self.op.body else {
            unreachable!("the generated code asks for pairs where its table says an update-many")
        };
        let items = self.items()?;
        let mut pairs = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let id =
                item.get(*id_member).and_then(Value::as_i64).and_then(|id| I::try_from(id).ok()).ok_or_else(|| {
                    Failure::Usage(format!(
                        "--json: record {index} has no integer `{id_member}`; update-many needs each record's id"
                    ))
                })?;
            pairs.push((id, decode(item.clone(), &format!("record {index}"))?));
        }
        self.body = Some(Value::Array(items));
        Ok(pairs)
    }

    fn items(&mut self) -> Result<Vec<Value>, Failure> {
        match self.json()? {
            Some(Value::Array(items)) => Ok(items),
            Some(_) => Err(Failure::Usage("--json: expected a JSON array of records".into())),
            None => Err(Failure::Usage("--json FILE is required (a JSON array of records)".into())),
        }
    }

    /// The `--json` input: a file, or stdin for `-`.
    fn json(&self) -> Result<Option<Value>, Failure> {
        match self.matches.try_get_one::<String>("json").ok().flatten() {
            Some(path) => read_json(path, self.stdin_is_terminal).map(Some),
            None => Ok(None),
        }
    }

    /// Sends a request answering JSON (a record, records, anything), or shows it (`--dry-run`).
    pub fn value<B: Debug, T: Serialize + 'static, F>(&self, request: B, send: impl FnOnce(B) -> F) -> Action
    where
        F: Future<Output = halopsa::Result<T>> + Send + 'static,
    {
        if self.dry_run {
            return Action::DryRun { request: format!("{request:?}"), note: None };
        }
        let answer = send(request);
        Action::Value(Box::pin(async move { to_json(&answer.await?) }))
    }

    /// Sends a request answering nothing, or shows it.
    pub fn empty<B: Debug, F>(&self, request: B, send: impl FnOnce(B) -> F) -> Action
    where
        F: Future<Output = halopsa::Result<()>> + Send + 'static,
    {
        if self.dry_run {
            return Action::DryRun { request: format!("{request:?}"), note: None };
        }
        let answer = send(request);
        Action::Empty(Box::pin(async move { Ok(answer.await?) }))
    }

    /// Sends a request answering a file, or shows it.
    pub fn bytes<B: Debug, F>(&self, request: B, send: impl FnOnce(B) -> F) -> Action
    where
        F: Future<Output = halopsa::Result<Vec<u8>>> + Send + 'static,
    {
        if self.dry_run {
            return Action::DryRun { request: format!("{request:?}"), note: None };
        }
        let answer = send(request);
        Action::Bytes(Box::pin(async move { Ok(answer.await?) }))
    }

    /// Sends a list request once (one page, as built), or shows it.
    pub fn page<B: Debug, L: Serialize + 'static, F>(&self, request: B, send: impl FnOnce(B) -> F) -> Action
    where
        F: Future<Output = halopsa::Result<L>> + Send + 'static,
    {
        if self.dry_run {
            return Action::DryRun { request: format!("{request:?}"), note: None };
        }
        let (items, count) = self.list_members();
        let answer = send(request);
        Action::Page(Box::pin(async move {
            let page = to_json(&answer.await?)?;
            let total = count.and_then(|count| page.get(count)).and_then(Value::as_u64);
            Ok((records_of(page, items), total))
        }))
    }

    /// A paged list: with `--all`, every page through the crate's pager (`pages()`, each record once, ending with an
    /// error when records may be missing); without, one request as built.
    pub fn pages<B: Debug, L: Serialize + 'static, F, P>(
        &self,
        request: B,
        send: impl FnOnce(B) -> F,
        pages: impl FnOnce(B) -> P,
        record_count: fn(&P) -> Option<u64>,
    ) -> Action
    where
        F: Future<Output = halopsa::Result<L>> + Send + 'static,
        P: Stream<Item = halopsa::Result<L>> + Unpin + Send + 'static,
    {
        if !self.all() {
            return self.page(request, send);
        }
        if self.dry_run {
            return Action::DryRun {
                request: format!("{request:?}"),
                note: Some("--all: the pager sends it page by page, with pageinate=true, page_no and page_size set"),
            };
        }
        let (items, _) = self.list_members();
        let pager = pages(request);
        Action::Listing(Box::pin(crate::output::drain(pager, record_count, move |page| {
            Ok(records_of(to_json(&page)?, items))
        })))
    }

    fn list_members(&self) -> (Option<&'static str>, Option<&'static str>) {
        match self.op.answer {
            Answer::List { items, count, .. } => (items, count),
            _ => (None, None),
        }
    }
}

/// Reads `--json FILE` (`-`: stdin, unless it is a terminal).
pub fn read_json(path: &str, stdin_is_terminal: bool) -> Result<Value, Failure> {
    let text = if path == "-" {
        if stdin_is_terminal {
            return Err(Failure::Usage("--json -: stdin is a terminal; pipe the JSON in, or name a file".into()));
        }
        std::io::read_to_string(std::io::stdin()).map_err(|e| Failure::Usage(format!("--json -: {e}")))?
    } else {
        std::fs::read_to_string(path).map_err(|e| Failure::Usage(format!("--json {path}: {e}")))?
    };
    serde_json::from_str(&text).map_err(|e| Failure::Usage(format!("--json {path}: not JSON: {e}")))
}

/// The records of a page: the wrapper's member, or the page itself when Halo answered a bare array.
fn records_of(page: Value, member: Option<&str>) -> Vec<Value> {
    match (page, member) {
        (Value::Array(items), _) => items,
        (Value::Object(mut object), Some(member)) => match object.remove(member) {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        (other, _) => vec![other],
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<Value, Failure> {
    serde_json::to_value(value).map_err(|e| Failure::Output(format!("cannot write the answer as JSON: {e}")))
}

fn decode<T: DeserializeOwned>(value: Value, what: &str) -> Result<T, Failure> {
    serde_json::from_value(value).map_err(|e| Failure::Usage(format!("--json: {what} does not fit the model: {e}")))
}

/// A field flag's value as JSON.
fn json_of(value: Given) -> Result<Value, Failure> {
    Ok(match value {
        Given::Bool(b) => Value::Bool(b),
        Given::I32(n) => Value::from(n),
        Given::I64(n) => Value::from(n),
        Given::F64(x) => serde_json::Number::from_f64(x)
            .map(Value::Number)
            .ok_or_else(|| Failure::Usage(format!("{x} is not a number JSON can carry")))?,
        Given::Text(text) => Value::String(text),
        Given::Date(date) => Value::String(date.to_string()),
        Given::I32s(_) | Given::I64s(_) | Given::Texts(_) => unreachable!("fields are scalars"),
    })
}

/// The flags of `flags` given on the command line (not defaults), by index, in table order.
fn given<'m>(matches: &'m ArgMatches, flags: &'static [Flag]) -> impl Iterator<Item = (usize, Given)> + 'm {
    flags.iter().enumerate().filter_map(move |(index, flag)| {
        if matches.value_source(flag.name) != Some(ValueSource::CommandLine) {
            return None;
        }
        read(matches, flag.name, flag.kind).map(|value| (index, value))
    })
}

/// One argument's value, read as its type (one function for every flag of a type).
fn read(matches: &ArgMatches, name: &str, kind: Kind) -> Option<Given> {
    Some(match kind {
        Kind::Bool => Given::Bool(*matches.get_one::<bool>(name)?),
        Kind::I32 => Given::I32(*matches.get_one::<i32>(name)?),
        Kind::I64 => Given::I64(*matches.get_one::<i64>(name)?),
        Kind::F64 => Given::F64(*matches.get_one::<f64>(name)?),
        Kind::Text | Kind::Enum(_) => Given::Text(matches.get_one::<String>(name)?.clone()),
        Kind::Date => Given::Date(matches.get_one::<halopsa::DateTime>(name)?.clone()),
        Kind::I32s => Given::I32s(matches.get_many::<i32>(name)?.copied().collect()),
        Kind::I64s => Given::I64s(matches.get_many::<i64>(name)?.copied().collect()),
        Kind::Texts => Given::Texts(matches.get_many::<String>(name)?.cloned().collect()),
    })
}
