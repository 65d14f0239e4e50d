//! What every request builder shares: [`Call`], the client and the request its setters write into, and [`answer`],
//! how an operation's answer is read.
//!
//! A generated builder is a newtype around a `Call` (`pub struct GetAgent(Call<answer::Json<Agent>>)`), and its
//! setters, `timeout`, `retry_policy`, `send`, `send_with_response` and `pages` are one-line forwards to the methods
//! here. So a query parameter costs the generated crate its setter's signature and docs, and nothing else: no field,
//! no line in a `Debug` impl, no line that copies it into the request. The builder owns its client (one `Arc`), so
//! every future it returns is `'static` and can be spawned.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::time::Duration;

use reqwest::Method;
use serde::Serialize;

use super::client::Client;
use super::datetime::DateTime;
use super::driver::BoxFuture;
use super::encode::path_segment;
use super::error::{Error, Result};
use super::paging::{ListPage, Pages};
use super::request::{QueryValue, Request};
use super::response::Response;
use super::retry::RetryPolicy;

/// A request builder's state: the client, the request as the setters made it, the body's shape (for `Debug`), and
/// an error found while building it, which `send` reports instead of sending (an update whose id is not positive,
/// a create of an item that has an id). `A` says how the answer is read ([`answer`]).
pub(crate) struct Call<A> {
    client: Client,
    request: Request,
    /// The spec's path template (`/Agent/{id}`): `Debug` masks a path parameter whose name says it is a secret.
    template: &'static str,
    body: Option<BodyShape>,
    error: Option<Error>,
    answer: PhantomData<fn() -> A>,
}

/// What `Debug` says of a body: never its contents (models hold passwords), only its size.
#[derive(Clone, Copy)]
enum BodyShape {
    Object,
    Items(usize),
}

// Derived `Clone` would require `A: Clone`; `A` is only a marker.
impl<A> Clone for Call<A> {
    fn clone(&self) -> Self {
        Call {
            client: self.client.clone(),
            request: self.request.clone(),
            template: self.template,
            body: self.body,
            error: self.error.clone(),
            answer: PhantomData,
        }
    }
}

impl<A> Call<A> {
    /// A request for `route`, the spec's method and path template (`GET /Agent/{id}`), each `{..}` replaced, in
    /// order, by the percent-encoded `args`; the operation's id (for hooks) and the scopes it accepts (named by 401
    /// and 403 errors).
    pub(crate) fn new(
        client: &Client,
        route: &'static str,
        args: &[&dyn fmt::Display],
        operation: &'static str,
        scopes: &'static [&'static str],
    ) -> Self {
        // The generator writes one of GET, POST, PUT, PATCH and DELETE (each checked by a test below).
        let (method, template) = route.split_once(' ').unwrap_or(("GET", route));
        let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
        let mut path = String::with_capacity(template.len() + 8);
        let mut args = args.iter();
        let mut rest = template;
        while let Some(start) = rest.find('{') {
            path.push_str(&rest[..start]);
            if let Some(arg) = args.next() {
                path.push_str(&path_segment(*arg));
            }
            rest = rest[start..].find('}').map_or("", |end| &rest[start + end + 1..]);
        }
        path.push_str(rest);
        let mut request = Request::new(method, path);
        request.set_operation(operation);
        request.set_scopes(scopes);
        Call { client: client.clone(), request, template, body: None, error: None, answer: PhantomData }
    }

    /// Marks the request as idempotent (or not), where the spec knows better than the HTTP method (an update POST).
    pub(crate) fn idempotent(mut self, idempotent: bool) -> Self {
        self.request.set_idempotent(idempotent);
        self
    }

    /// A JSON body.
    pub(crate) fn body<B: Serialize + ?Sized>(mut self, body: &B) -> Self {
        self.body = Some(BodyShape::Object);
        if let Err(error) = self.request.json_body(body) {
            self.fail(error);
        }
        self
    }

    /// A JSON array body.
    pub(crate) fn body_items<T: Serialize>(mut self, items: impl IntoIterator<Item = T>) -> Self {
        let items: Vec<T> = items.into_iter().collect();
        let shape = BodyShape::Items(items.len());
        self = self.body(&items);
        self.body = Some(shape);
        self
    }

    /// The body of Halo's create-or-update POST used to create: `items`, none of which may have an id, because
    /// Halo would update the record it names instead of creating one. `id` reads an item's id.
    pub(crate) fn create<T: Serialize, I: Into<i64>>(
        mut self,
        method: &str,
        items: impl IntoIterator<Item = T>,
        id: impl Fn(&T) -> Option<I>,
    ) -> Self {
        let items: Vec<T> = items.into_iter().collect();
        if let Some(index) = items.iter().position(|item| id(item).is_some_and(|id| id.into() > 0)) {
            let which = item_name(index, items.len());
            self.fail(Error::invalid_request(format!(
                "{method}: {which} already has an id; Halo would update that record instead of creating one"
            )));
        }
        self.items(method, items)
    }

    /// The body of Halo's create-or-update POST used to update: each item with its id written in by `set_id`, so
    /// an update cannot lose its id; ids must be positive, because Halo would create a record for any other.
    pub(crate) fn update<T: Serialize, I: Copy + Into<i64>>(
        mut self,
        method: &str,
        items: impl IntoIterator<Item = (I, T)>,
        set_id: impl Fn(&mut T, I),
    ) -> Self {
        let mut refused = None;
        let items: Vec<T> = items
            .into_iter()
            .enumerate()
            .map(|(index, (id, mut item))| {
                if id.into() <= 0 && refused.is_none() {
                    refused = Some(index);
                }
                set_id(&mut item, id);
                item
            })
            .collect();
        if let Some(index) = refused {
            let which = item_name(index, items.len());
            self.fail(Error::invalid_request(format!(
                "{method}: {which} has an id that is not positive; Halo would create a new record instead of updating one"
            )));
        }
        self.items(method, items)
    }

    fn items<T: Serialize>(mut self, method: &str, items: Vec<T>) -> Self {
        if items.is_empty() {
            self.fail(Error::invalid_request(format!("{method}: no items to send")));
        }
        self.body_items(items)
    }

    /// The same request, its answer read another way (`bulk.rs` and `report_sql.rs` read Halo's records as JSON).
    pub(crate) fn read_as<B>(self) -> Call<B> {
        let Call { client, request, template, body, error, .. } = self;
        Call { client, request, template, body, error, answer: PhantomData }
    }

    /// The client the request goes through.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// The request's method and path (`POST /Tickets`), for errors and `Debug`.
    pub(crate) fn route(&self) -> (&Method, &str) {
        (&self.request.method, &self.request.path)
    }

    /// Keeps the first error: it is what `send` reports.
    fn fail(&mut self, error: Error) {
        self.error.get_or_insert(error);
    }

    /// Sets the query parameter `name` (a number, a boolean, a string enum's wire text).
    pub(crate) fn arg(mut self, name: &'static str, value: impl QueryValue) -> Self {
        let mut text = String::new();
        value.write_query(&mut text);
        self.request.put_query(name, text);
        self
    }

    /// Sets a text query parameter.
    pub(crate) fn text(self, name: &'static str, value: impl Into<String>) -> Self {
        self.arg(name, value.into())
    }

    /// Sets a date-time query parameter, sent as its text.
    pub(crate) fn date(self, name: &'static str, value: impl Into<DateTime>) -> Self {
        self.arg(name, value.into())
    }

    /// Sets a list query parameter, sent comma-separated.
    pub(crate) fn list<V: QueryValue>(self, name: &'static str, values: impl IntoIterator<Item = V>) -> Self {
        self.arg(name, values.into_iter().collect::<Vec<V>>())
    }

    /// Sets a list-of-text query parameter, sent comma-separated.
    pub(crate) fn texts(self, name: &'static str, values: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.arg(name, values.into_iter().map(Into::into).collect::<Vec<String>>())
    }

    /// The time limit of each attempt, instead of the client's.
    pub(crate) fn timeout(mut self, timeout: Duration) -> Self {
        self.request.options.timeout = Some(timeout);
        self
    }

    /// The retry policy of this request, instead of the client's.
    pub(crate) fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.request.options.retry = Some(policy);
        self
    }
}

/// `the item` when there is one, else `item 3`.
fn item_name(index: usize, len: usize) -> String {
    if len == 1 { "the item".to_owned() } else { format!("item {index}") }
}

impl<A: answer::Answer> Call<A> {
    /// Sends the request (or reports the error found while building it) and reads the answer.
    pub(crate) fn send_with_response(self) -> impl Future<Output = Result<Response<A::Output>>> + Send + 'static {
        let answer = self.answer();
        async move { answer.await.map(|response| response.map(|value| *value)) }
    }

    /// [`send_with_response`](Self::send_with_response) without the status and headers.
    pub(crate) fn send(self) -> impl Future<Output = Result<A::Output>> + Send + 'static {
        let answer = self.answer();
        async move { answer.await.map(|response| *response.into_inner()) }
    }

    /// The answer, boxed twice: the future (so that the one `send()` returns is a few words, however much the send
    /// path keeps), and the value (unboxed last, in `send()`, so that a large model goes up by pointer). In a debug
    /// build a future is copied by value into every frame that moves it (`block_on`, `tokio::spawn`, each caller's
    /// `.await`), so this is what keeps a job of many calls within a small stack (BENCHMARKS.md, "Stack and future
    /// sizes").
    fn answer(self) -> BoxFuture<'static, Result<Response<Box<A::Output>>>> {
        let Call { client, request, error, .. } = self;
        Box::pin(async move {
            match error {
                Some(error) => Err(error),
                None => A::read(client, request).await,
            }
        })
    }
}

impl<L: ListPage> Call<answer::List<L>> {
    /// The pages of a list Halo pages (`pageinate`, `page_no`, `page_size`).
    pub(crate) fn pages(self) -> Pages<L> {
        match self.error {
            None => Pages::new(self.client, self.request),
            Some(error) => Pages::failed(self.client, self.request, error),
        }
    }

    /// The one page of a list Halo does not page: the request, once, as built.
    pub(crate) fn one_page(self) -> Pages<L> {
        match self.error {
            None => Pages::unpaged(self.client, self.request),
            Some(error) => Pages::failed(self.client, self.request, error),
        }
    }
}

/// `GET /Agent/12?search=jane&team_id=3, timeout: 5s`: the request as it would be sent, and only what was set. Not
/// the client, not a body's contents, and `***` for the value of a query or path parameter whose name says it holds
/// a secret (`token`, `password`, `secret`, `apikey`).
impl<A> fmt::Debug for Call<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let request = &self.request;
        write!(f, "{} ", request.method)?;
        let names = self.template.split('/').map(|segment| segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')));
        for (index, (segment, name)) in request.path.split('/').zip(names).enumerate() {
            if index > 0 {
                f.write_str("/")?;
            }
            f.write_str(if name.is_some_and(is_secret_name) { "***" } else { segment })?;
        }
        for (index, (name, value)) in request.encoded_query().enumerate() {
            let value = if is_secret_name(&name) { "***".into() } else { value };
            write!(f, "{}{name}={value}", if index == 0 { '?' } else { '&' })?;
        }
        match self.body {
            Some(BodyShape::Items(1)) => f.write_str(", body: [1 item]")?,
            Some(BodyShape::Items(n)) => write!(f, ", body: [{n} items]")?,
            Some(BodyShape::Object) => f.write_str(", body: {..}")?,
            None => {}
        }
        if let Some(timeout) = request.options.timeout {
            write!(f, ", timeout: {timeout:?}")?;
        }
        if let Some(retry) = &request.options.retry {
            write!(f, ", retry_policy: {retry:?}")?;
        }
        Ok(())
    }
}

/// Whether a parameter's value may be a credential (`token`, `report_access_token`, `password`, ...).
fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["token", "password", "secret", "apikey", "api_key"].iter().any(|word| lower.contains(word))
}

/// How a builder reads its answer: one marker type per kind of answer, each sending through `Client::execute` with
/// the reader of its kind.
pub(crate) mod answer {
    use std::future::Future;
    use std::marker::PhantomData;

    use serde::de::DeserializeOwned;

    use super::super::client::{Client, JSON, read_json, read_saved};
    use super::super::error::{Error, Result};
    use super::super::paging::{ListPage, read_list};
    use super::super::request::Request;
    use super::super::response::Response;
    use super::super::transport::Reply;

    /// A kind of answer: what `send()` returns, and how it is read.
    pub(crate) trait Answer: 'static {
        /// What `send()` returns.
        type Output: Send + 'static;
        /// Sends `request` and reads the answer, the value boxed (`send()` unboxes it).
        fn read(client: Client, request: Request) -> impl Future<Output = Result<Response<Box<Self::Output>>>> + Send;
    }

    /// A JSON value of type `T`.
    pub(crate) struct Json<T>(PhantomData<fn() -> T>);

    impl<T: DeserializeOwned + Send + 'static> Answer for Json<T> {
        type Output = T;
        async fn read(client: Client, request: Request) -> Result<Response<Box<T>>> {
            client.execute(request, JSON, read_json::<T>).await
        }
    }

    /// A page of a list: the wrapper (`AgentList`) or a bare array.
    pub(crate) struct List<L>(PhantomData<fn() -> L>);

    impl<L: ListPage> Answer for List<L> {
        type Output = L;
        async fn read(client: Client, request: Request) -> Result<Response<Box<L>>> {
            client.execute(request, JSON, read_list::<L>).await
        }
    }

    /// The records Halo's create-or-update POST saved (it answers one object or an array).
    pub(crate) struct Saved<T>(PhantomData<fn() -> T>);

    impl<T: DeserializeOwned + Send + 'static> Answer for Saved<T> {
        type Output = Vec<T>;
        async fn read(client: Client, request: Request) -> Result<Response<Box<Vec<T>>>> {
            client.execute(request, JSON, read_saved::<T>).await
        }
    }

    /// The one record a single create or update saved: an answer with no record (an empty body, `[]`) or with
    /// several is a [`Decode`](super::super::ErrorKind::Decode) error, never a panic or an arbitrary pick.
    pub(crate) struct One<T>(PhantomData<fn() -> T>);

    impl<T: DeserializeOwned + Send + 'static> Answer for One<T> {
        type Output = T;
        async fn read(client: Client, request: Request) -> Result<Response<Box<T>>> {
            client.execute(request, JSON, read_one::<T>).await
        }
    }

    /// The one record of a create-or-update's answer.
    fn read_one<T: DeserializeOwned>(reply: Reply) -> Result<T> {
        let status = reply.status.as_u16();
        let mut records = read_saved::<T>(reply)?;
        if records.len() == 1
            && let Some(record) = records.pop()
        {
            return Ok(record);
        }
        let message = match records.len() {
            0 => "halo's answer holds no record (an empty body or an empty array), so the saved record cannot be \
                  returned; the save may have happened: read the record back before sending it again"
                .to_owned(),
            count => format!("halo's answer holds {count} records where one was sent and one was expected"),
        };
        Err(Error::decode(message).with_status(status))
    }

    /// No content: `()` (Halo's error shapes are still errors).
    pub(crate) struct Empty;

    impl Answer for Empty {
        type Output = ();
        async fn read(client: Client, request: Request) -> Result<Response<Box<()>>> {
            client.execute(request, JSON, |reply| reply.check_error_shape()).await
        }
    }

    /// The body as bytes (an image, a file; a link Halo answers with is followed).
    pub(crate) struct Bytes;

    impl Answer for Bytes {
        type Output = Vec<u8>;
        async fn read(client: Client, request: Request) -> Result<Response<Box<Vec<u8>>>> {
            client.send_bytes(request).await.map(|response| response.map(Box::new))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Client {
        Client::builder("http://127.0.0.1:9").bearer_token("token").build().unwrap()
    }

    #[test]
    fn the_route_gives_the_method_and_the_path_with_encoded_arguments() {
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            let route: &'static str = Box::leak(format!("{method} /Thing/{{id}}/Part/{{name}}").into_boxed_str());
            let call = Call::<answer::Empty>::new(&client(), route, &[&12, &"a/b c"], "op", &["all"]);
            assert_eq!(call.request.method.as_str(), method);
            assert_eq!(call.request.path, "/Thing/12/Part/a%2Fb%20c");
            assert_eq!((call.request.operation, call.request.scopes), (Some("op"), &["all"][..]));
            assert_eq!(call.request.idempotent, method != "POST" && method != "PATCH");
        }
        let call = Call::<answer::Empty>::new(&client(), "GET /Agent", &[], "op", &[]);
        assert_eq!(call.request.path_and_query(), "/Agent");
    }

    #[test]
    fn debug_masks_secret_path_and_query_values() {
        let call = Call::<answer::Empty>::new(&client(), "GET /Login/{token}/{id}", &[&"s3cret", &7], "op", &[])
            .text("report_access_token", "t0ken")
            .arg("page_no", 2)
            .body(&serde_json::json!({"password": "hunter2"}));
        assert_eq!(format!("{call:?}"), "GET /Login/***/7?page_no=2&report_access_token=***, body: {..}");
    }
}
