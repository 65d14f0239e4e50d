//! Output: JSON, JSON lines, CSV with chosen columns, or a table for a person; and the progress of a long listing.

use std::io::{IsTerminal, Write};
use std::pin::Pin;

use futures_core::Stream;
use serde_json::Value;

use crate::input::Failure;

/// An output format (`--output`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Pretty-printed JSON: a record as an object, records as an array. The default when stdout is not a terminal.
    Json,
    /// One record per line, compact.
    Jsonl,
    /// A header line, then one line per record.
    Csv,
    /// Aligned columns for a person. The default on a terminal.
    Table,
}

impl Format {
    /// `--output NAME`, or the default for where stdout goes.
    pub fn choose(name: Option<&str>) -> Format {
        match name {
            Some("json") => Format::Json,
            Some("jsonl") => Format::Jsonl,
            Some("csv") => Format::Csv,
            Some("table") => Format::Table,
            _ if std::io::stdout().is_terminal() => Format::Table,
            _ => Format::Json,
        }
    }
}

/// What a command printed: one record (or other JSON), or records.
pub enum Shown {
    /// A record, or any other JSON answer.
    One(Value),
    /// Records: a listing, or the records a batch call saved.
    Many(Vec<Value>),
}

impl Shown {
    /// A JSON answer: an array is records.
    pub fn of(value: Value) -> Shown {
        match value {
            Value::Array(items) => Shown::Many(items),
            other => Shown::One(other),
        }
    }
}

/// Writes `shown` in `format`; `columns` chooses and orders CSV and table columns (`client.name` reaches into an
/// object).
pub fn print(out: &mut dyn Write, shown: &Shown, format: Format, columns: Option<&[String]>) -> std::io::Result<()> {
    match (format, shown) {
        (Format::Json, Shown::One(value)) => writeln!(out, "{}", pretty(value)),
        (Format::Json, Shown::Many(items)) => writeln!(out, "{}", pretty(&Value::Array(items.clone()))),
        (Format::Jsonl, Shown::One(value)) => writeln!(out, "{value}"),
        (Format::Jsonl, Shown::Many(items)) => items.iter().try_for_each(|item| writeln!(out, "{item}")),
        (Format::Csv, shown) => {
            let rows = rows(shown);
            let columns = columns.map_or_else(|| all_columns(&rows), <[String]>::to_vec);
            write_csv(out, &rows, &columns)
        }
        (Format::Table, Shown::One(value @ Value::Object(_))) if columns.is_none() => write_record(out, value),
        (Format::Table, shown) => {
            let rows = rows(shown);
            let columns = columns.map_or_else(|| table_columns(&rows), <[String]>::to_vec);
            write_table(out, &rows, &columns)
        }
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

fn rows(shown: &Shown) -> Vec<&Value> {
    match shown {
        Shown::One(value) => vec![value],
        Shown::Many(items) => items.iter().collect(),
    }
}

/// Every member of the records, in the order they first appear: a record's members come sorted by name (serde_json's
/// map), so the order is stable whatever order Halo sends them in.
fn all_columns(rows: &[&Value]) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    for row in rows {
        if let Value::Object(object) = row {
            for key in object.keys() {
                if !columns.contains(key) {
                    columns.push(key.clone());
                }
            }
        }
    }
    if columns.is_empty() && !rows.is_empty() {
        columns.push("value".into());
    }
    columns
}

/// A table shows at most eight columns unless told (`--columns`): the simple members some record has a value for.
fn table_columns(rows: &[&Value]) -> Vec<String> {
    let simple = |value: &Value| !matches!(value, Value::Null | Value::Object(_) | Value::Array(_)) && value != "";
    all_columns(rows)
        .into_iter()
        .filter(|column| column == "value" || rows.iter().any(|row| row.get(column).is_some_and(simple)))
        .take(8)
        .collect()
}

/// A cell: text as it is, nothing for null or a missing member, other JSON as compact JSON text.
fn cell(row: &Value, column: &str) -> String {
    let value = if column == "value" && !row.is_object() {
        Some(row)
    } else {
        column.split('.').try_fold(row, |value, key| value.get(key))
    };
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled; lines end with `\n`.
fn write_csv(out: &mut dyn Write, rows: &[&Value], columns: &[String]) -> std::io::Result<()> {
    let line = |fields: Vec<String>| {
        fields
            .iter()
            .map(|field| {
                if field.contains([',', '"', '\n', '\r']) {
                    format!("\"{}\"", field.replace('"', "\"\""))
                } else {
                    field.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    writeln!(out, "{}", line(columns.to_vec()))?;
    for row in rows {
        writeln!(out, "{}", line(columns.iter().map(|column| cell(row, column)).collect()))?;
    }
    Ok(())
}

const CELL_WIDTH: usize = 40;

fn clip(text: &str) -> String {
    let one_line = text.replace(['\n', '\r', '\t'], " ");
    if one_line.chars().count() <= CELL_WIDTH {
        return one_line;
    }
    let mut clipped: String = one_line.chars().take(CELL_WIDTH - 1).collect();
    clipped.push('…');
    clipped
}

fn write_table(out: &mut dyn Write, rows: &[&Value], columns: &[String]) -> std::io::Result<()> {
    let cells: Vec<Vec<String>> =
        rows.iter().map(|row| columns.iter().map(|c| clip(&cell(row, c))).collect()).collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, column)| cells.iter().map(|row| row[i].chars().count()).chain([column.len()]).max().unwrap_or(0))
        .collect();
    let line = |fields: &[String]| {
        let padded: Vec<String> = fields.iter().zip(&widths).map(|(field, width)| format!("{field:<width$}")).collect();
        padded.join("  ").trim_end().to_owned()
    };
    writeln!(out, "{}", line(columns))?;
    for row in &cells {
        writeln!(out, "{}", line(row))?;
    }
    if rows.is_empty() {
        writeln!(out, "(no records)")?;
    }
    Ok(())
}

/// One record on a terminal: a member per line, those with a value.
fn write_record(out: &mut dyn Write, record: &Value) -> std::io::Result<()> {
    let Value::Object(object) = record else { return Ok(()) };
    let shown: Vec<(&String, String)> = object
        .iter()
        .filter(|(_, value)| !matches!(value, Value::Null) && *value != "")
        .map(|(key, value)| (key, clip(&cell(value, "value"))))
        .collect();
    let width = shown.iter().map(|(key, _)| key.len()).max().unwrap_or(0);
    for (key, value) in shown {
        writeln!(out, "{key:<width$}  {value}")?;
    }
    Ok(())
}

/// Reads every page of a listing through the crate's pager, showing progress on stderr when it is a terminal and the
/// listing has more than one page. A failure part way keeps the records read (`Failure::Listing`).
pub async fn drain<P, L>(
    mut pages: P,
    record_count: fn(&P) -> Option<u64>,
    records: impl Fn(L) -> Result<Vec<Value>, Failure>,
) -> Result<Vec<Value>, Failure>
where
    P: Stream<Item = halopsa::Result<L>> + Unpin,
{
    let progress = std::io::stderr().is_terminal();
    let mut read: Vec<Value> = Vec::new();
    let mut page_count = 0u64;
    loop {
        let next = std::future::poll_fn(|cx| Pin::new(&mut pages).poll_next(cx)).await;
        match next {
            None => break,
            Some(Ok(page)) => {
                read.extend(records(page)?);
                page_count += 1;
                if progress {
                    let total = record_count(&pages).map(|n| format!(" of {n}")).unwrap_or_default();
                    eprint!("\r{} records{total} ({page_count} pages)", read.len());
                }
            }
            Some(Err(error)) => {
                if progress && page_count > 0 {
                    eprintln!();
                }
                return Err(Failure::Listing { error, read });
            }
        }
    }
    if progress && page_count > 0 {
        // Clear the progress line.
        eprint!("\r{:width$}\r", "", width = 60);
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn printed(shown: &Shown, format: Format, columns: Option<&[String]>) -> String {
        let mut out = Vec::new();
        print(&mut out, shown, format, columns).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_quotes_and_nests() {
        let rows = Shown::Many(vec![
            json!({"id": 1, "summary": "Printer, on fire", "user": {"name": "Jo \"JJ\""}, "tags": [1, 2], "x": null}),
            json!({"id": 2, "summary": "two\nlines"}),
        ]);
        let columns = ["id", "summary", "user.name", "tags", "x"].map(String::from);
        assert_eq!(
            printed(&rows, Format::Csv, Some(&columns)),
            "id,summary,user.name,tags,x\n1,\"Printer, on fire\",\"Jo \"\"JJ\"\"\",\"[1,2]\",\n2,\"two\nlines\",,,\n"
        );
        // Without --columns: every member, by name (a record's members are sorted), then those of later records.
        assert_eq!(printed(&rows, Format::Csv, None).lines().next(), Some("id,summary,tags,user,x"));
    }

    #[test]
    fn json_and_jsonl() {
        let rows = Shown::Many(vec![json!({"id": 1}), json!({"id": 2})]);
        assert_eq!(printed(&rows, Format::Jsonl, None), "{\"id\":1}\n{\"id\":2}\n");
        assert_eq!(printed(&rows, Format::Json, None), "[\n  {\n    \"id\": 1\n  },\n  {\n    \"id\": 2\n  }\n]\n");
    }

    #[test]
    fn table_picks_simple_columns_with_values() {
        let rows = Shown::Many(vec![json!({"id": 1, "name": "a", "empty": null, "list": [1]}), json!({"id": 22})]);
        assert_eq!(printed(&rows, Format::Table, None), "id  name\n1   a\n22\n");
    }
}
