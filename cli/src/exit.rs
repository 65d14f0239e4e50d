//! Exit codes by kind of failure, and what a failure prints on stderr. The codes are a promise to scripts: they are
//! listed in `halo --help` and the README, and `tests/cli.rs` checks each one.

use std::fmt::Write;

use halopsa::ErrorKind;

use crate::input::Failure;

/// Every exit code with what it means, as `halo --help` lists them.
pub const CODES: &[(u8, &str)] = &[
    (0, "ok"),
    (1, "failed otherwise (writing the output, an unexpected error)"),
    (2, "usage: wrong arguments or --json input, or a request the client refuses before sending it"),
    (3, "configuration or authentication: missing settings, wrong credentials, a missing scope (401, 403)"),
    (4, "not found (404)"),
    (5, "Halo refused the request (another 4xx, or an error in a 200 answer)"),
    (6, "outcome unknown: a write was sent and may or may not have been applied; look before repeating it"),
    (7, "incomplete listing: records may be missing; the records read were printed"),
    (8, "Halo unavailable, rate limited or unreachable, after the client's retries"),
    (9, "Halo's answer could not be read"),
];

/// The exit code of a failure.
pub fn code(failure: &Failure) -> u8 {
    match failure {
        Failure::Usage(_) => 2,
        Failure::Config(_) => 3,
        Failure::Output(_) => 1,
        Failure::Halo(error) | Failure::Listing { error, .. } => halo_code(error),
    }
}

fn halo_code(error: &halopsa::Error) -> u8 {
    match error.kind() {
        ErrorKind::InvalidRequest => 2,
        ErrorKind::Config | ErrorKind::Auth => 3,
        ErrorKind::Api => match error.status() {
            Some(404) => 4,
            Some(401 | 403) => 3,
            Some(status) if status >= 500 => 8,
            _ if error.is_retryable() => 8,
            _ => 5,
        },
        ErrorKind::OutcomeUnknown => 6,
        ErrorKind::Incomplete => 7,
        ErrorKind::RateLimited | ErrorKind::Network => 8,
        ErrorKind::Decode => 9,
        _ => 1,
    }
}

/// What a failure prints on stderr: the error, then Halo's message, status and trace id on lines of their own (so a
/// script or a support ticket can quote them), and what to do about it. Never a secret: the client scrubs them from
/// its errors, and configuration errors name settings, not values.
pub fn report(failure: &Failure) -> String {
    let mut text = String::new();
    match failure {
        Failure::Usage(message) => {
            let _ = writeln!(text, "halo: error: {message}");
        }
        Failure::Config(message) => {
            let _ = writeln!(text, "halo: configuration: {message}");
            let _ = writeln!(
                text,
                "  hint: `halo config show` shows the settings in use; `halo --help` says where they come from"
            );
        }
        Failure::Output(message) => {
            let _ = writeln!(text, "halo: error: {message}");
        }
        Failure::Halo(error) => halo_report(&mut text, error),
        Failure::Listing { error, read } => {
            halo_report(&mut text, error);
            let _ = writeln!(text, "  records read: {} (printed)", read.len());
            if error.kind() != ErrorKind::Incomplete
                && let Some(page) = error.page_no()
            {
                let _ = writeln!(text, "  hint: resume from that page with --page-no {page} --all");
            }
        }
    }
    text
}

fn halo_report(text: &mut String, error: &halopsa::Error) {
    let _ = writeln!(text, "halo: {error}");
    if let Some(status) = error.status() {
        let _ = writeln!(text, "  status: {status}");
    }
    if !error.message().is_empty() {
        let _ = writeln!(text, "  message: {}", error.message());
    }
    for field in error.field_errors() {
        let _ = writeln!(text, "  field {}: {}", field.field(), field.messages().join("; "));
    }
    if let Some(trace_id) = error.trace_id() {
        let _ = writeln!(text, "  trace id: {trace_id}");
    }
    let hint = match error.kind() {
        ErrorKind::OutcomeUnknown => Some("look the record up before sending it again: Halo may still be saving it"),
        ErrorKind::Incomplete => Some("do not act on what is missing from this listing"),
        _ => None,
    };
    if let Some(hint) = hint {
        let _ = writeln!(text, "  hint: {hint}");
    }
}
