//! The API as the generated tables describe it (`src/generated/`), and the clap commands built from them.
//!
//! The generated code is data (one `Resource` per resource, one `Operation` per operation, one `Flag` per query
//! parameter and per simple field of a record sent) plus one small function per operation that calls the crate's
//! typed request builder. Everything per flag that is the same for every flag of a type (its clap argument, how its
//! value is read) lives here, once per type, instead of once per flag in generated code.

use clap::builder::{PossibleValue, PossibleValuesParser, ValueParser};
use clap::{Arg, ArgAction, Command};

use crate::input::{Action, Failure, Input};

/// A resource: `halo tickets ...`.
pub struct Resource {
    /// The subcommand (`tickets`, `agent-check-ins`).
    pub command: &'static str,
    /// One line of help.
    pub about: &'static str,
    /// The operations, sorted by subcommand.
    pub operations: &'static [Operation],
}

/// One operation: `halo tickets list`.
pub struct Operation {
    /// The subcommand (`list`, `create-many`).
    pub command: &'static str,
    /// One line of help.
    pub about: &'static str,
    /// The whole help text (`--help`).
    pub long_about: &'static str,
    /// Positional arguments: the path parameters, then an update's id.
    pub args: &'static [Positional],
    /// One flag per query parameter.
    pub flags: &'static [Flag],
    /// What is sent as the body.
    pub body: Body,
    /// What the answer is.
    pub answer: Answer,
    /// Builds the request with the crate's typed builder, from the parsed arguments.
    pub run: fn(&halopsa::Client, &mut Input) -> Result<Action, Failure>,
}

/// A positional argument.
pub struct Positional {
    /// Its name (`id`).
    pub name: &'static str,
    /// Its type: `I32`, `I64` or `Text`.
    pub kind: Kind,
    /// One line of help.
    pub help: &'static str,
}

/// A flag: a query parameter, or a field of the record sent.
pub struct Flag {
    /// The long name without dashes (`client-id`).
    pub name: &'static str,
    /// The query parameter or JSON member it sets (`client_id`).
    pub wire: &'static str,
    /// Its type.
    pub kind: Kind,
    /// One line of help.
    pub help: &'static str,
    /// More help (`--help`), empty when there is none.
    pub long_help: &'static str,
    /// Whether the operation needs it.
    pub required: bool,
}

#[allow(dead_code)] // see `Kind`
impl Flag {
    /// A flag with one line of help.
    pub const fn new(name: &'static str, wire: &'static str, kind: Kind, help: &'static str) -> Flag {
        Flag { name, wire, kind, help, long_help: "", required: false }
    }

    /// With more help for `--help`.
    pub const fn long(mut self, long_help: &'static str) -> Flag {
        self.long_help = long_help;
        self
    }

    /// Required.
    pub const fn required(mut self) -> Flag {
        self.required = true;
        self
    }
}

// The core reads every shape the IR has; the curated spec may not use them all (`cargo xtask codegen` with
// another spec does), so what it leaves unused is not dead.
/// The type of a flag's or argument's value.
#[allow(dead_code)]
#[derive(Clone, Copy)]
pub enum Kind {
    /// `true`/`false`; a query flag alone means `true` (`--open-only`).
    Bool,
    /// A 32-bit integer.
    I32,
    /// A 64-bit integer.
    I64,
    /// A number.
    F64,
    /// Text.
    Text,
    /// A date and time as Halo reads it (`2025-03-01`, `2025-03-01T09:30:00Z`).
    Date,
    /// Comma-separated 32-bit integers (or the flag repeated).
    I32s,
    /// Comma-separated 64-bit integers (or the flag repeated).
    I64s,
    /// Comma-separated text (or the flag repeated).
    Texts,
    /// One of the listed values, each with its help.
    Enum(&'static [(&'static str, &'static str)]),
}

/// What an operation sends as its body.
#[allow(dead_code)] // see `Kind`
pub enum Body {
    /// Nothing.
    None,
    /// One record: `--json FILE` (or `-` for stdin) and the field flags on top of it. Sent as it is, or as a
    /// one-item array (`array`: Halo's create-or-update takes arrays); an update writes its id argument into the
    /// record's `id` member (the wire name).
    Record {
        /// The model's name, for help.
        model: &'static str,
        /// The field flags.
        fields: &'static [Flag],
        /// Sent as a one-item array.
        array: bool,
        /// An update's id member (its value is the last positional argument).
        id: Option<&'static str>,
    },
    /// A JSON body that is not one record of a model, from `--json` only.
    Json {
        /// The body's type, for help.
        model: &'static str,
    },
    /// Several records, from `--json` only: an array.
    Records {
        /// The model's name, for help.
        model: &'static str,
        /// For `update-many`: the id member each record must have.
        id: Option<&'static str>,
    },
}

/// What an operation answers with.
pub enum Answer {
    /// Nothing.
    Empty,
    /// A record, records, or other JSON.
    Json,
    /// A list: `items` is the member of Halo's list wrapper that holds the records (`tickets`; none for a bare
    /// array), `count` its `record_count`; `paged` lists take `--all`.
    List { items: Option<&'static str>, count: Option<&'static str>, paged: bool },
    /// A file (`--out FILE`, or stdout when it is not a terminal).
    Bytes,
}

/// The heading of the field flags in `--help`.
const FIELDS_HEADING: &str = "Fields of the record sent (on top of --json)";

/// The subcommand of a resource; its operations are built only when it is the one invoked (or for completions and
/// `halo help`), so start-up does not pay for thousands of flags (`Command::defer`).
pub fn resource_command(resource: &'static Resource) -> Command {
    Command::new(resource.command).about(resource.about).subcommand_required(true).defer(build_operations)
}

fn build_operations(command: Command) -> Command {
    let resource = crate::generated::RESOURCES
        .iter()
        .find(|resource| resource.command == command.get_name())
        .expect("a resource command is built from the resource table");
    command.subcommands(resource.operations.iter().map(operation_command))
}

/// The subcommand of one operation, with its arguments.
pub fn operation_command(op: &'static Operation) -> Command {
    let mut command = Command::new(op.command).about(op.about).long_about(op.long_about);
    for (index, arg) in op.args.iter().enumerate() {
        command = command
            .arg(Arg::new(arg.name).help(arg.help).required(true).index(index + 1).value_parser(parser(arg.kind)));
    }
    for flag in op.flags {
        command = command.arg(flag_arg(flag, true));
    }
    if let Answer::List { paged: true, .. } = op.answer {
        command = command.arg(
            Arg::new("all")
                .long("all")
                .action(ArgAction::SetTrue)
                .help("Every record, page by page (each record once; progress on stderr when it is a terminal)"),
        );
    }
    if let Answer::Bytes = op.answer {
        command = command.arg(
            Arg::new("out")
                .long("out")
                .value_name("FILE")
                .help("Write the file here (default: stdout, when it is not a terminal)"),
        );
    }
    match &op.body {
        Body::None => {}
        Body::Record { model, fields, .. } => {
            command = command.arg(Arg::new("json").long("json").value_name("FILE").help(format!(
                "The {model} to send, as a JSON object in FILE (`-`: stdin); the flags below set fields on top of it"
            )));
            for field in *fields {
                command = command.arg(flag_arg(field, false).help_heading(FIELDS_HEADING));
            }
        }
        Body::Json { model } => {
            command = command.arg(
                Arg::new("json")
                    .long("json")
                    .value_name("FILE")
                    .required(true)
                    .help(format!("The {model} to send, as JSON in FILE (`-`: stdin)")),
            );
        }
        Body::Records { model, id } => {
            let ids = if id.is_some() { " (each with its `id`)" } else { "" };
            command = command.arg(
                Arg::new("json")
                    .long("json")
                    .value_name("FILE")
                    .required(true)
                    .help(format!("The {model} records to send{ids}, as a JSON array in FILE (`-`: stdin)")),
            );
        }
    }
    command
}

/// The clap argument of a flag. A query parameter's boolean may stand alone (`--open-only` is `--open-only=true`);
/// a field's takes its value (`--isdisabled true`), as setting a field to `false` is as common as to `true`.
fn flag_arg(flag: &'static Flag, query: bool) -> Arg {
    let mut arg =
        Arg::new(flag.name).long(flag.name).help(flag.help).required(flag.required).value_parser(parser(flag.kind));
    if !flag.long_help.is_empty() {
        arg = arg.long_help(flag.long_help);
    }
    match flag.kind {
        Kind::Bool if query => {
            arg.num_args(0..=1).require_equals(true).default_missing_value("true").value_name("BOOL")
        }
        Kind::Bool => arg.value_name("BOOL"),
        Kind::I32 | Kind::I64 => arg.value_name("INT"),
        Kind::F64 => arg.value_name("NUMBER"),
        Kind::Text | Kind::Enum(_) => arg.value_name("TEXT"),
        Kind::Date => arg.value_name("DATE"),
        Kind::I32s | Kind::I64s => arg.value_name("INT,...").value_delimiter(',').action(ArgAction::Append),
        Kind::Texts => arg.value_name("TEXT,...").value_delimiter(',').action(ArgAction::Append),
    }
}

/// One value parser per type.
fn parser(kind: Kind) -> ValueParser {
    match kind {
        Kind::Bool => ValueParser::bool(),
        Kind::I32 | Kind::I32s => clap::value_parser!(i32).into(),
        Kind::I64 | Kind::I64s => clap::value_parser!(i64).into(),
        Kind::F64 => clap::value_parser!(f64).into(),
        Kind::Text | Kind::Texts => ValueParser::string(),
        Kind::Date => ValueParser::new(parse_date),
        Kind::Enum(values) => PossibleValuesParser::new(
            values.iter().map(|(value, help)| PossibleValue::new(*value).help(*help)).collect::<Vec<_>>(),
        )
        .into(),
    }
}

fn parse_date(text: &str) -> Result<halopsa::DateTime, String> {
    text.parse::<halopsa::DateTime>().map_err(|_| {
        format!("`{text}` is not a date Halo reads (2025-03-01, 2025-03-01T09:30:00, 2025-03-01T09:30:00Z)")
    })
}
