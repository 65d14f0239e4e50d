//! SQL reports as typed queries: [`SqlQuery`] (`client.reports().sql::<Row>(query)`) runs one read-only statement
//! through Halo's report API (`POST /Report` with `_loadreportonly`, which runs a report without saving it) and
//! decodes its rows into the caller's type, with the columns Halo describes ([`SqlRows`], [`SqlColumn`]).
//!
//! The statement is checked before it is sent ([`MAX_SQL_LEN`], one statement, `SELECT` or `WITH`, no statement
//! that writes): a guard against mistakes, not a security boundary (Halo's own permissions are that: the API
//! application's agent and its "Can Create SQL Data Sources" role setting). Halo answers SQL it cannot run with
//! status 200 and `report.load_error` (HaloAPI's `Invoke-HaloSQL` throws that text), which becomes an error naming
//! the problem. A run saves nothing, so it is idempotent: retried like a read.

use std::future::Future;
use std::marker::PhantomData;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::{Call, Error, ErrorKind, Result, RetryPolicy, answer};

/// The longest SQL statement [`SqlQuery`] sends, in bytes (64 KiB). No source documents a limit of Halo's on a
/// report's `sql`: this is ours, far above any hand-written report and well below what Halo's hosting accepts in a
/// request body (ASP.NET Core's default is 30 MB); what it catches is generated SQL that inlines thousands of ids
/// (`IN (1, 2, ...)`), which SQL Server plans badly or refuses. Query such data in ranges of a key instead.
pub const MAX_SQL_LEN: usize = 65_536;

/// One read-only SQL statement to run as a Halo report, its rows decoded as `R` (any `serde` type, or
/// `serde_json::Value`); made by `client.reports().sql::<R>(query)`.
///
/// ```no_run
/// # async fn example(client: halopsa::Client) -> halopsa::Result<()> {
/// #[derive(serde::Deserialize)]
/// struct Open {
///     id: i64,
///     summary: String,
/// }
///
/// let rows: Vec<Open> = client
///     .reports()
///     .sql("SELECT faultid AS id, symptom AS summary FROM faults WHERE areaint = 42")
///     .send()
///     .await?;
/// # let _ = rows;
/// # Ok(())
/// # }
/// ```
///
/// Before sending, the statement is refused ([`ErrorKind::InvalidRequest`]) when it is empty, longer than
/// [`MAX_SQL_LEN`], more than one statement (a `;` with anything after it; one trailing `;` is dropped), does not
/// start with `SELECT` or `WITH`, or has a keyword that writes or runs code (`INSERT`, `UPDATE`, `DELETE`, `MERGE`,
/// `INTO`, `EXEC`, `DROP`, `ALTER`, `CREATE`, `TRUNCATE`, `GRANT`, `DECLARE`, ...) outside strings, comments and
/// quoted names. This is a guard against mistakes, not a security boundary: what the API application may read is
/// Halo's to decide. SQL Halo cannot run is an [`ErrorKind::Api`] error whose message is Halo's
/// (`halo could not run the SQL: Invalid column name 'x'.`).
///
/// A report is one request: no source documents a cap on the rows it returns, so none is assumed. For a large
/// table, query it in ranges of a key (`WHERE faultid > 0 AND faultid <= 10000`, then the next range) so each
/// request stays short (see the crate README).
#[must_use = "a query does nothing until it is sent"]
pub struct SqlQuery<R> {
    call: Call<answer::Saved<Value>>,
    sql: String,
    rows: PhantomData<fn() -> R>,
}

impl<R> std::fmt::Debug for SqlQuery<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlQuery").field("sql", &self.sql).finish_non_exhaustive()
    }
}

impl<R> Clone for SqlQuery<R> {
    fn clone(&self) -> Self {
        SqlQuery { call: self.call.clone(), sql: self.sql.clone(), rows: PhantomData }
    }
}

impl<R: DeserializeOwned + Send + 'static> SqlQuery<R> {
    /// `client.reports().sql(query)`: `call` is the report resource's create-or-update POST.
    #[allow(dead_code)] // generated code calls it only if the spec has Halo's report runs
    pub(crate) fn new(call: Call<answer::Saved<Value>>, sql: impl Into<String>) -> Self {
        SqlQuery { call: call.idempotent(true), sql: sql.into(), rows: PhantomData }
    }

    /// The time limit of each attempt, instead of the client's (a large report can take a while).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.call = self.call.timeout(timeout);
        self
    }

    /// How the run is retried, instead of the client's policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.call = self.call.retry_policy(policy);
        self
    }

    /// Checks the statement, runs it, and decodes every row.
    pub fn send(self) -> impl Future<Output = Result<Vec<R>>> + Send + 'static {
        let rows = self.send_with_columns();
        async move { rows.await.map(|rows| rows.rows) }
    }

    /// [`send`](Self::send), with the columns Halo describes.
    pub fn send_with_columns(self) -> impl Future<Output = Result<SqlRows<R>>> + Send + 'static {
        let SqlQuery { call, sql, .. } = self;
        let checked = check_sql(&sql);
        let (method, path) = {
            let (method, path) = call.route();
            (method.clone(), path.to_owned())
        };
        let request = checked.map(|sql| call.body(&json!([{ "sql": sql, "_loadreportonly": true }])));
        async move {
            let records = request?.send().await?;
            let record = match <[Value; 1]>::try_from(records) {
                Ok([record]) => record,
                Err(records) => {
                    return Err(Error::decode(format!(
                        "halo answered the report run with {} records where one was expected",
                        records.len()
                    ))
                    .with_request(&method, &path));
                }
            };
            read_rows(record).map_err(|error| error.with_request(&method, &path))
        }
    }
}

/// The rows of a report and its columns.
#[derive(Debug, Clone)]
pub struct SqlRows<R> {
    rows: Vec<R>,
    columns: Vec<SqlColumn>,
}

impl<R> SqlRows<R> {
    /// The rows, in Halo's order.
    pub fn rows(&self) -> &[R] {
        &self.rows
    }

    /// The rows, by value.
    pub fn into_rows(self) -> Vec<R> {
        self.rows
    }

    /// The columns: Halo's description of them (the report's `columns`, else `available_columns`: Halo's
    /// `AnalyzerProfileColumn`s) when it sends one, else the names the first row has (in alphabetical order, without
    /// a type).
    pub fn columns(&self) -> &[SqlColumn] {
        &self.columns
    }
}

/// A column of a report: its name (as the rows have it) and the type Halo says it has, when it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlColumn {
    name: String,
    data_type: Option<String>,
}

impl SqlColumn {
    /// The column's name: the key of its values in each row (`summary`, or the `AS` name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The type Halo says it has (its `data_type`: `int`, `nvarchar`, `datetime`, ...), when it says.
    pub fn data_type(&self) -> Option<&str> {
        self.data_type.as_deref()
    }
}

/// A report run's answer: its rows decoded as `R`, or Halo's `load_error` as an error.
fn read_rows<R: DeserializeOwned>(record: Value) -> Result<SqlRows<R>> {
    let Value::Object(mut record) = record else {
        return Err(Error::decode("halo answered the report run with something else than a report"));
    };
    let Some(Value::Object(mut report)) = record.remove("report") else {
        return Err(Error::decode("halo's answer has no `report` (the rows of the run)"));
    };
    let load_error = report.get("load_error").and_then(Value::as_str).map(str::trim).filter(|e| !e.is_empty());
    if let Some(problem) = load_error {
        return Err(Error::new(ErrorKind::Api, format!("halo could not run the SQL: {problem}")).with_status(200));
    }
    if report.get("loaded") == Some(&Value::Bool(false)) {
        return Err(Error::new(ErrorKind::Api, "halo could not run the SQL (`loaded` is false, with no error)")
            .with_status(200));
    }
    let rows = match report.remove("rows") {
        Some(Value::Array(rows)) => rows,
        None | Some(Value::Null) => Vec::new(),
        Some(_) => return Err(Error::decode("the report's `rows` is not an array")),
    };
    let columns = columns_of(&record, rows.first());
    let rows = rows
        .into_iter()
        .enumerate()
        .map(|(index, row)| {
            serde_path_to_error::deserialize::<_, R>(row)
                .map_err(|error| Error::decode(format!("row {index} of the report: {error}")))
        })
        .collect::<Result<Vec<R>>>()?;
    Ok(SqlRows { rows, columns })
}

fn columns_of(record: &Map<String, Value>, first_row: Option<&Value>) -> Vec<SqlColumn> {
    let described = ["columns", "available_columns"].iter().find_map(|key| match record.get(*key) {
        Some(Value::Array(columns)) if !columns.is_empty() => Some(columns),
        _ => None,
    });
    let text = |column: &Value, key: &str| column.get(key).and_then(Value::as_str).map(str::to_owned);
    match described {
        Some(columns) => columns
            .iter()
            .filter_map(|column| {
                let name = text(column, "name").or_else(|| text(column, "sys_name"))?;
                Some(SqlColumn { name, data_type: text(column, "data_type") })
            })
            .collect(),
        None => match first_row {
            Some(Value::Object(row)) => {
                row.keys().map(|name| SqlColumn { name: name.clone(), data_type: None }).collect()
            }
            _ => Vec::new(),
        },
    }
}

/// Keywords that write, change the schema or run code: a report's statement must have none of them outside
/// strings, comments and quoted names (`INTO` for `SELECT ... INTO`, which creates a table).
const WRITES: &[&str] = &[
    "ALTER",
    "BACKUP",
    "BULK",
    "CREATE",
    "DBCC",
    "DECLARE",
    "DELETE",
    "DENY",
    "DROP",
    "EXEC",
    "EXECUTE",
    "GRANT",
    "INSERT",
    "INTO",
    "KILL",
    "MERGE",
    "OPENROWSET",
    "RESTORE",
    "REVOKE",
    "SHUTDOWN",
    "TRUNCATE",
    "UPDATE",
    "USE",
];

/// Checks a report's statement before it is sent (see [`SqlQuery`]); returns it without a trailing `;`.
pub(crate) fn check_sql(sql: &str) -> Result<String> {
    let refuse = |why: String| Err(Error::invalid_request(format!("{why}; not sent (the SQL guard of `sql()`)")));
    if sql.len() > MAX_SQL_LEN {
        return refuse(format!("the SQL is {} bytes, more than the {MAX_SQL_LEN} `sql()` sends", sql.len()));
    }
    let (words, semicolons) = scan(sql);
    let body_end = sql.trim_end().trim_end_matches(';').trim_end().len();
    let Some((first, _)) = words.first() else {
        return refuse("the SQL is empty".to_owned());
    };
    let trailing = semicolons.iter().filter(|at| **at >= body_end).count();
    if semicolons.len() > trailing || trailing > 1 {
        return refuse("the SQL holds more than one statement (a `;` before its end)".to_owned());
    }
    if !first.eq_ignore_ascii_case("SELECT") && !first.eq_ignore_ascii_case("WITH") {
        return refuse(format!("the SQL starts with `{first}`: a report runs one SELECT (or WITH ... SELECT)"));
    }
    if let Some((word, _)) = words.iter().find(|(word, _)| WRITES.iter().any(|w| w.eq_ignore_ascii_case(word))) {
        return refuse(format!(
            "the SQL has `{}`, which writes or runs code: a report only reads",
            word.to_uppercase()
        ));
    }
    Ok(sql[..body_end].trim_start().to_owned())
}

/// The words of `sql` (with their byte offsets) and the offsets of its `;`, outside strings (`'..'`, `N'..'`),
/// quoted names (`".."`, `[..]`) and comments (`-- ..`, `/* .. */`, which nest in T-SQL).
fn scan(sql: &str) -> (Vec<(&str, usize)>, Vec<usize>) {
    let bytes = sql.as_bytes();
    let (mut words, mut semicolons) = (Vec::new(), Vec::new());
    let mut at = 0;
    let skip_until = |from: usize, close: u8| {
        let mut at = from;
        while at < bytes.len() {
            if bytes[at] == close {
                // A doubled closing quote is an escaped one ('it''s', [a]]b]).
                if bytes.get(at + 1) == Some(&close) {
                    at += 2;
                    continue;
                }
                return at + 1;
            }
            at += 1;
        }
        bytes.len()
    };
    while at < bytes.len() {
        match bytes[at] {
            b'\'' => at = skip_until(at + 1, b'\''),
            b'"' => at = skip_until(at + 1, b'"'),
            b'[' => at = skip_until(at + 1, b']'),
            b'-' if bytes.get(at + 1) == Some(&b'-') => {
                at = sql[at..].find('\n').map_or(bytes.len(), |end| at + end + 1);
            }
            b'/' if bytes.get(at + 1) == Some(&b'*') => {
                let mut depth = 0;
                while at < bytes.len() {
                    if bytes[at] == b'/' && bytes.get(at + 1) == Some(&b'*') {
                        depth += 1;
                        at += 2;
                    } else if bytes[at] == b'*' && bytes.get(at + 1) == Some(&b'/') {
                        depth -= 1;
                        at += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        at += 1;
                    }
                }
            }
            b';' => {
                semicolons.push(at);
                at += 1;
            }
            byte if byte.is_ascii_alphabetic() || byte == b'_' || byte == b'@' || byte == b'#' => {
                let start = at;
                while at < bytes.len()
                    && (bytes[at].is_ascii_alphanumeric() || matches!(bytes[at], b'_' | b'@' | b'#' | b'$'))
                {
                    at += 1;
                }
                // `N'..'` is a Unicode string, not the word N.
                if &sql[start..at] == "N" && bytes.get(at) == Some(&b'\'') {
                    continue;
                }
                words.push((&sql[start..at], start));
            }
            _ => at += 1,
        }
    }
    (words, semicolons)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_read_only_statement_passes_the_guard() {
        for sql in [
            "SELECT faultid AS id FROM faults",
            "  select 1 ;  ",
            "WITH t AS (SELECT 1 AS x) SELECT x FROM t",
            "SELECT 'DROP TABLE x; --' AS [insert], \"update\" FROM faults /* DELETE; */ -- EXEC\n WHERE 1 = 1",
            "SELECT last_update, dateupdated, N'it''s; fine' FROM faults",
        ] {
            assert!(check_sql(sql).is_ok(), "{sql}: {:?}", check_sql(sql));
        }
        assert_eq!(check_sql("  SELECT 1 ;  ").unwrap(), "SELECT 1");
    }

    #[test]
    fn anything_else_is_refused_before_sending() {
        for (sql, why) in [
            ("", "empty"),
            ("-- only a comment", "empty"),
            ("SELECT 1; SELECT 2", "more than one statement"),
            ("SELECT 1;;", "more than one statement"),
            ("UPDATE faults SET status = 9", "starts with `UPDATE`"),
            ("EXEC sp_who", "starts with `EXEC`"),
            ("SELECT * INTO copy FROM faults", "`INTO`"),
            ("WITH t AS (SELECT 1 AS x) DELETE FROM t", "`DELETE`"),
        ] {
            let error = check_sql(sql).expect_err(sql);
            assert_eq!(error.kind(), ErrorKind::InvalidRequest);
            assert!(error.message().contains(why), "{sql}: {}", error.message());
        }
        let long = format!("SELECT '{}'", "x".repeat(MAX_SQL_LEN));
        assert!(check_sql(&long).unwrap_err().message().contains("bytes"));
    }

    #[test]
    fn rows_columns_and_load_errors() {
        let record = json!({
            "columns": [{"name": "id", "data_type": "int"}, {"sys_name": "summary"}],
            "report": {"loaded": true, "rows": [{"id": 1, "summary": "a"}]}
        });
        let rows = read_rows::<Value>(record).unwrap();
        assert_eq!(rows.rows().len(), 1);
        assert_eq!(rows.columns()[0], SqlColumn { name: "id".into(), data_type: Some("int".into()) });
        assert_eq!(rows.columns()[1].name(), "summary");
        let bare = json!({"report": {"loaded": true, "rows": [{"b": 1, "a": 2}]}});
        let names: Vec<String> =
            read_rows::<Value>(bare).unwrap().columns().iter().map(|c| c.name().to_owned()).collect();
        assert_eq!(names, ["a", "b"]);
        let failed = json!({"report": {"loaded": false, "load_error": "Invalid column name 'x'.", "rows": []}});
        let error = read_rows::<Value>(failed).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Api);
        assert!(error.message().contains("Invalid column name 'x'."), "{error}");
        #[derive(Debug, serde::Deserialize)]
        struct Row {
            #[allow(dead_code)]
            id: i64,
        }
        let wrong = json!({"report": {"loaded": true, "rows": [{"id": 1}, {"id": "x"}]}});
        let error = read_rows::<Row>(wrong).unwrap_err();
        assert!(error.message().contains("row 1") && error.message().contains("id"), "{error}");
    }
}
