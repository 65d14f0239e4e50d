//! Parse: spec text → `serde_json::Value` (syntax) → `openapiv3::OpenAPI` (structure), errors with their place.

use crate::diagnostics::Diagnostics;

/// A parsed spec.
pub struct Spec {
    /// The document as an OpenAPI model (`openapiv3` keeps invalid `type` strings such as `int` for `validate`).
    pub model: openapiv3::OpenAPI,
}

/// Parses spec text. A syntax error names its line and column; a structural error names its JSON pointer.
pub fn parse(text: &str) -> Result<Spec, Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    // A first pass for syntax alone, so a syntax error is told apart from a structural one.
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(_) => {}
        Err(error) => {
            let what = match error.classify() {
                serde_json::error::Category::Eof => "the spec ends too early (truncated JSON?)",
                _ => "the spec is not valid JSON",
            };
            diagnostics.error_with_hint(
                "",
                format!("{what}: {error}"),
                format!("fix the JSON syntax at line {} column {}", error.line(), error.column()),
            );
            return Err(diagnostics);
        }
    };
    // Deserialize from the text, not from `json`: `serde_json::Value` sorts object keys, and document order is
    // the order Halo serialises fields in.
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let model = match serde_path_to_error::deserialize::<_, openapiv3::OpenAPI>(&mut deserializer) {
        Ok(model) => model,
        Err(error) => {
            let pointer = path_to_pointer(error.path());
            diagnostics.error(pointer, format!("not an OpenAPI 3.0 document here: {}", error.inner()));
            return Err(diagnostics);
        }
    };
    if !model.openapi.starts_with("3.0") {
        diagnostics.error_with_hint(
            "/openapi",
            format!("unsupported OpenAPI version `{}`", model.openapi),
            "the generator reads OpenAPI 3.0.x documents",
        );
    }
    diagnostics.propagate()?;
    Ok(Spec { model })
}

fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut tokens = Vec::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => tokens.push(index.to_string()),
            Segment::Map { key } => tokens.push(key.clone()),
            Segment::Enum { variant } => tokens.push(variant.clone()),
            Segment::Unknown => {}
        }
    }
    let tokens: Vec<&str> = tokens.iter().map(String::as_str).collect();
    crate::diagnostics::pointer(&tokens)
}
