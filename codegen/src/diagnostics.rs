//! Errors about the spec: each names its place as a JSON pointer, says what is wrong and, where it can, how to fix it.

use std::fmt;

/// One problem found in the spec.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    /// The document it is in when it is not the spec itself: the imported tier (`spec/imported.json`).
    pub file: Option<String>,
    /// RFC 6901 JSON pointer to the offending value, e.g. `/paths/~1Agent/get/parameters/3`.
    pub pointer: String,
    /// What is wrong, in lowercase, without a trailing period.
    pub message: String,
    /// How to fix it, when there is an obvious way.
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pointer = if self.pointer.is_empty() { "/" } else { &self.pointer };
        if let Some(file) = &self.file {
            write!(f, "{file}#")?;
        }
        write!(f, "{pointer}: {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// All problems found so far. Stages add to it and stop at their boundary with [`Diagnostics::propagate`],
/// so one run reports every error instead of the first one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics {
    errors: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Records an error at `pointer`.
    pub fn error(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        self.push(pointer.into(), message.into(), None);
    }

    /// Records an error at `pointer` with a hint on how to fix it.
    pub fn error_with_hint(&mut self, pointer: impl Into<String>, message: impl Into<String>, hint: impl Into<String>) {
        self.push(pointer.into(), message.into(), Some(hint.into()));
    }

    fn push(&mut self, pointer: String, message: String, hint: Option<String>) {
        self.errors.push(Diagnostic { file: None, pointer, message, hint });
    }

    /// Says which errors are in another document than the spec: `place` maps an error's pointer to that document's
    /// name and the pointer there, or `None` when the error is in the spec itself.
    pub fn locate(mut self, place: impl Fn(&str) -> Option<(String, String)>) -> Self {
        for error in &mut self.errors {
            if error.file.is_none()
                && let Some((file, pointer)) = place(&error.pointer)
            {
                error.file = Some(file);
                error.pointer = pointer;
            }
        }
        self
    }

    /// All errors in one other document (`file`), with their pointers as they are.
    pub fn in_file(self, file: &str) -> Self {
        self.locate(|pointer| Some((file.to_owned(), pointer.to_owned())))
    }

    /// The errors, in the order the spec was walked.
    pub fn errors(&self) -> &[Diagnostic] {
        &self.errors
    }

    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Ends a stage: `Err(self)` if any error was recorded, so later stages never see bad input.
    pub fn propagate(self) -> Result<(), Diagnostics> {
        if self.errors.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.errors.len();
        writeln!(f, "the spec has {count} error{}:", if count == 1 { "" } else { "s" })?;
        for error in &self.errors {
            writeln!(f, "error: {error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// Builds JSON pointers: escapes `~` and `/` in each token (RFC 6901).
pub fn pointer(tokens: &[&str]) -> String {
    let mut out = String::new();
    for token in tokens {
        out.push('/');
        out.push_str(&escape_token(token));
    }
    out
}

/// Appends one token to an existing pointer.
pub fn join(base: &str, token: &str) -> String {
    format!("{base}/{}", escape_token(token))
}

fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_escapes_slash_and_tilde() {
        assert_eq!(pointer(&["paths", "/Agent/{id}", "get"]), "/paths/~1Agent~1{id}/get");
        assert_eq!(join("/a", "b~c"), "/a/b~0c");
    }

    #[test]
    fn display_lists_every_error_with_hints() {
        let mut diagnostics = Diagnostics::default();
        diagnostics.error("/a", "first");
        diagnostics.error_with_hint("/b", "second", "do this");
        let text = diagnostics.to_string();
        assert_eq!(text, "the spec has 2 errors:\nerror: /a: first\nerror: /b: second\n  hint: do this\n");
        assert!(diagnostics.propagate().is_err());
        assert!(Diagnostics::default().propagate().is_ok());
    }
}
