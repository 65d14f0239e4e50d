//! `halo`: the HaloPSA API from the shell. Every curated operation is a subcommand, generated from the spec the
//! `halopsa` crate is generated from (`src/generated/`, by `cargo xtask codegen`); this file and its siblings are the
//! hand-written core: the command tree's root, configuration, output, and exit codes.

mod config;
mod exit;
#[rustfmt::skip]
mod generated;
mod input;
mod output;
mod table;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{Arg, ArgAction, ArgMatches, Command};
use serde_json::Value;

use crate::input::{Action, Failure, Input};
use crate::output::{Format, Shown};

fn main() -> ExitCode {
    let matches = match root().try_get_matches() {
        Ok(matches) => matches,
        Err(error) => {
            // Help and version go to stdout with 0; usage errors to stderr with 2 (clap's own exit codes).
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { 2 } else { 0 });
        }
    };
    match run(&matches) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprint!("{}", exit::report(&failure));
            ExitCode::from(exit::code(&failure))
        }
    }
}

/// The command tree: the resources (their operations built only when used), `request`, `config`, `completions`.
fn root() -> Command {
    let mut codes = String::from("Exit codes:\n");
    for (code, meaning) in exit::CODES {
        codes.push_str(&format!("  {code}  {meaning}\n"));
    }
    codes.push_str(
        "\nConfiguration: HALO_URL, HALO_CLIENT_ID, HALO_CLIENT_SECRET (and HALO_TENANT, HALO_SCOPES), as the\n\
         halopsa crate's ClientBuilder::from_env() reads them; or a profile of the config file ($HALO_CONFIG, else\n\
         ~/.config/halo/config.toml) named by --profile or HALO_PROFILE, or its default_profile. `halo config show`\n\
         shows the settings in use, never the secret.",
    );
    Command::new("halo")
        .about("The HaloPSA API from the shell: every curated operation of the halopsa crate, with its paging, retries and errors")
        .version(env!("CARGO_PKG_VERSION"))
        .subcommand_required(true)
        .after_help(codes)
        .arg(
            Arg::new("profile")
                .help_heading("Global options")
                .long("profile")
                .global(true)
                .value_name("NAME")
                .help("The profile of the config file to use (or HALO_PROFILE)"),
        )
        .arg(
            Arg::new("output")
                .help_heading("Global options")
                .long("output")
                .short('o')
                .global(true)
                .value_name("FORMAT")
                .value_parser(["json", "jsonl", "csv", "table"])
                .help("json (the default when stdout is not a terminal), jsonl, csv, or table (on a terminal)"),
        )
        .arg(
            Arg::new("columns")
                .help_heading("Global options")
                .long("columns")
                .global(true)
                .value_name("NAME,...")
                .value_delimiter(',')
                .action(ArgAction::Append)
                .help("The columns of csv and table output, in order (`client.name` reaches into an object)"),
        )
        .arg(
            Arg::new("dry-run")
                .help_heading("Global options")
                .long("dry-run")
                .global(true)
                .action(ArgAction::SetTrue)
                .help("Print the request (method, URL with its query, JSON body) instead of sending it"),
        )
        .subcommands(generated::RESOURCES.iter().map(|resource| table::resource_command(resource)))
        .subcommand(request_command())
        .subcommand(
            Command::new("config")
                .about("The configuration in use")
                .subcommand_required(true)
                .subcommand(Command::new("show").about("The settings in use and where they come from (never the secret)"))
                .subcommand(Command::new("profiles").about("The profiles of the config file"))
                .subcommand(Command::new("path").about("Where the config file is read from")),
        )
        .subcommand(
            Command::new("completions").about("Shell completions: `halo completions bash > /etc/bash_completion.d/halo`").arg(
                Arg::new("shell")
                    .required(true)
                    .value_parser(clap::value_parser!(clap_complete::Shell))
                    .help("bash, zsh, fish, powershell or elvish"),
            ),
        )
}

fn request_command() -> Command {
    Command::new("request")
        .about("Any path of the API, with the same tokens, retries and errors: `halo request GET /Priority --query showall=true`")
        .arg(
            Arg::new("method")
                .required(true)
                .value_parser(["GET", "POST", "PUT", "PATCH", "DELETE"])
                .ignore_case(true)
                .help("The HTTP method"),
        )
        .arg(Arg::new("path").required(true).help("The path under the API URL (`/Priority`)"))
        .arg(
            Arg::new("query")
                .long("query")
                .value_name("NAME=VALUE")
                .action(ArgAction::Append)
                .help("A query parameter (repeat the flag for more)"),
        )
        .arg(Arg::new("json").long("json").value_name("FILE").help("The JSON body, from FILE (`-`: stdin)"))
        .arg(
            Arg::new("idempotent")
                .long("idempotent")
                .action(ArgAction::SetTrue)
                .help("Retry a POST as safely repeatable (it only updates records); other POSTs are not repeated after an unknown outcome"),
        )
}

/// The options every command has, read from wherever they were given.
struct Options {
    profile: Option<String>,
    format: Format,
    columns: Option<Vec<String>>,
    dry_run: bool,
}

fn options(matches: &ArgMatches) -> Options {
    Options {
        profile: matches.get_one::<String>("profile").cloned(),
        format: Format::choose(matches.get_one::<String>("output").map(String::as_str)),
        columns: matches.get_many::<String>("columns").map(|c| c.map(|s| s.trim().to_owned()).collect()),
        dry_run: matches.get_flag("dry-run"),
    }
}

fn run(matches: &ArgMatches) -> Result<(), Failure> {
    let (command, sub) = matches.subcommand().expect("a subcommand is required");
    match command {
        "completions" => {
            let shell = *sub.get_one::<clap_complete::Shell>("shell").expect("required");
            clap_complete::generate(shell, &mut root(), "halo", &mut std::io::stdout());
            Ok(())
        }
        "config" => config_command(sub),
        "request" => request(sub),
        resource => {
            let resource = generated::RESOURCES.iter().find(|r| r.command == resource).expect("a known resource");
            let (name, op_matches) = sub.subcommand().expect("an operation is required");
            let op = resource.operations.iter().find(|op| op.command == name).expect("a known operation");
            let options = options(op_matches);
            let settings = config::resolve(options.profile.as_deref())?;
            let client = settings.client(options.dry_run)?;
            let mut input = Input::new(op, op_matches.clone(), options.dry_run);
            let action = (op.run)(&client, &mut input)?;
            perform(&client, action, input.body.as_ref(), &options, op_matches)
        }
    }
}

fn config_command(matches: &ArgMatches) -> Result<(), Failure> {
    let (command, sub) = matches.subcommand().expect("a subcommand is required");
    let mut out = std::io::stdout().lock();
    let written = match command {
        "show" => {
            let settings = config::resolve(options(sub).profile.as_deref())?;
            write!(out, "{}", settings.show())
        }
        "path" => match config::path() {
            Some(path) => writeln!(out, "{}", path.display()),
            None => writeln!(out, "(none: set HALO_CONFIG or HOME)"),
        },
        _ => {
            let (_, file) = config::read_file()?;
            file.profiles.keys().try_for_each(|name| {
                let default = if file.default_profile.as_ref() == Some(name) { " (default)" } else { "" };
                writeln!(out, "{name}{default}")
            })
        }
    };
    written.map_err(|e| Failure::Output(e.to_string()))
}

/// `halo request METHOD PATH`: the crate's `Client::request`.
fn request(matches: &ArgMatches) -> Result<(), Failure> {
    let options = options(matches);
    let method_name = matches.get_one::<String>("method").expect("required").to_uppercase();
    let method = method_name.parse::<halopsa::Method>().map_err(|e| Failure::Usage(e.to_string()))?;
    let path = matches.get_one::<String>("path").expect("required").clone();
    let mut query = Vec::new();
    for pair in matches.get_many::<String>("query").into_iter().flatten() {
        let (name, value) =
            pair.split_once('=').ok_or_else(|| Failure::Usage(format!("--query {pair}: expected NAME=VALUE")))?;
        query.push((name.to_owned(), value.to_owned()));
    }
    let body = match matches.get_one::<String>("json") {
        Some(path) => Some(input::read_json(path, std::io::stdin().is_terminal())?),
        None => None,
    };
    let settings = config::resolve(options.profile.as_deref())?;
    let client = settings.client(options.dry_run)?;
    if options.dry_run {
        let mut shown = format!("{method_name} {path}");
        for (index, (name, value)) in query.iter().enumerate() {
            shown.push(if index == 0 { '?' } else { '&' });
            shown.push_str(&format!("{}={}", encode(name), encode(value)));
        }
        return dry_run(&client, &format!("CustomRequest({shown})"), None, body.as_ref());
    }
    let mut request = client.request(method.clone(), path);
    for (name, value) in &query {
        request = request.query(name, value.as_str());
    }
    if let Some(body) = &body {
        request = request.json(body);
    }
    if matches.get_flag("idempotent") {
        request = request.idempotent(true);
    }
    let action = if method == halopsa::Method::DELETE {
        Action::Empty(Box::pin(async move { Ok(request.send_empty().await?) }))
    } else {
        Action::Value(Box::pin(async move { Ok(request.send::<Value>().await?) }))
    };
    perform(&client, action, None, &options, matches)
}

/// Percent-encodes a query name or value for `--dry-run`, as the crate does (all but letters, digits and `-._~,`).
fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~,".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Sends the request and prints the answer (or, with `--dry-run`, the request).
fn perform(
    client: &halopsa::Client,
    action: Action,
    body: Option<&Value>,
    options: &Options,
    matches: &ArgMatches,
) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Output(format!("cannot start the runtime: {e}")))?;
    let shown = match action {
        Action::DryRun { request, note } => return dry_run(client, &request, note, body),
        Action::Value(answer) => Shown::of(runtime.block_on(answer)?),
        Action::Page(answer) => {
            let (records, total) = runtime.block_on(answer)?;
            if let Some(total) = total.filter(|total| *total > records.len() as u64)
                && std::io::stderr().is_terminal()
            {
                eprintln!("{} of {total} records; --all reads them all", records.len());
            }
            Shown::Many(records)
        }
        Action::Listing(answer) => match runtime.block_on(answer) {
            Ok(records) => Shown::Many(records),
            Err(Failure::Listing { error, read }) => {
                // What was read is printed, then the error: a script sees both, and the exit code.
                show(&Shown::Many(read.clone()), options)?;
                return Err(Failure::Listing { error, read });
            }
            Err(other) => return Err(other),
        },
        Action::Empty(answer) => {
            runtime.block_on(answer)?;
            return Ok(());
        }
        Action::Bytes(answer) => {
            let bytes = runtime.block_on(answer)?;
            return write_file(&bytes, matches.try_get_one::<String>("out").ok().flatten());
        }
    };
    show(&shown, options)
}

fn show(shown: &Shown, options: &Options) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match output::print(&mut out, shown, options.format, options.columns.as_deref()).and_then(|()| out.flush()) {
        // `halo ... | head`: the reader has what it wanted.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(error) => Err(Failure::Output(format!("cannot write the output: {error}"))),
        Ok(()) => Ok(()),
    }
}

fn write_file(bytes: &[u8], out: Option<&String>) -> Result<(), Failure> {
    match out {
        Some(path) => std::fs::write(path, bytes).map_err(|e| Failure::Output(format!("{path}: {e}"))),
        None if std::io::stdout().is_terminal() => {
            Err(Failure::Usage("the answer is a file: name it with --out FILE, or redirect stdout".into()))
        }
        None => std::io::stdout().write_all(bytes).map_err(|e| Failure::Output(e.to_string())),
    }
}

/// `--dry-run`: the method and full URL (the API URL of the configuration, and the path and query as the crate's
/// request shows them, secret values as `***`), then the JSON body, pretty-printed with secret members as `***`.
fn dry_run(client: &halopsa::Client, request: &str, note: Option<&str>, body: Option<&Value>) -> Result<(), Failure> {
    // `ListTickets(GET /Tickets?client_id=42, timeout: 5s)`: the text between the parentheses, up to the first
    // ", " (paths and queries are percent-encoded, so they hold no space).
    let inner = request.split_once('(').map_or(request, |(_, rest)| rest.strip_suffix(')').unwrap_or(rest));
    let line = inner.split_once(", ").map_or(inner, |(line, _)| line);
    let (method, path) = line.split_once(' ').unwrap_or(("", line));
    let mut out = std::io::stdout().lock();
    let mut text = format!("{method} {}{path}\n", client.api_url().trim_end_matches('/'));
    if let Some(note) = note {
        text.push_str(&format!("# {note}\n"));
    }
    if let Some(body) = body {
        let mut body = body.clone();
        mask_secrets(&mut body);
        text.push_str(&serde_json::to_string_pretty(&body).unwrap_or_default());
        text.push('\n');
    }
    out.write_all(text.as_bytes()).map_err(|e| Failure::Output(e.to_string()))
}

/// Members whose name says they hold a secret (`password`, `client_secret`, `apikey`, `token`) print as `***`.
fn mask_secrets(value: &mut Value) {
    match value {
        Value::Object(object) => {
            for (key, member) in object.iter_mut() {
                let key = key.to_ascii_lowercase();
                let secret = ["password", "secret", "apikey", "api_key", "token"].iter().any(|word| key.contains(word));
                if secret && !member.is_null() && !matches!(member, Value::Bool(_)) {
                    *member = Value::String("***".into());
                } else {
                    mask_secrets(member);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_secrets),
        _ => {}
    }
}
