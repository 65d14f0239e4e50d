//! The IR: everything the emitters need, named, typed and sorted. Types only; `lower` builds it.
//!
//! Emitters see nothing but this module's types (never `openapiv3`), so what the output looks like is decided
//! here and in `lower`, in one place, and can be snapshot-tested before any tokens change.

use std::collections::BTreeMap;

/// The whole API.
#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    /// `info.title` of the spec.
    pub title: String,
    /// `info.version` of the spec.
    pub version: String,
    /// The spec file the crate was generated from, for headers and docs (`spec/halopsa.json`).
    pub source: String,
    /// Resources (one module and one cargo feature each), sorted by module name.
    pub resources: Vec<Resource>,
    /// Every named type, in an arena keyed by ID; IDs are assigned in sorted order of schema name.
    pub types: BTreeMap<TypeId, TypeDef>,
    /// Umbrella cargo features, in the spec's order.
    pub feature_groups: Vec<FeatureGroup>,
}

/// The ID of a type in [`Api::types`]. Given to every schema before any is converted, so forward and recursive
/// references just work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TypeId(pub usize);

/// Where a type is defined: with the one resource that uses it, or in a shared models module.
///
/// The two tiers are apart: a curated type's owner is decided by the curated resources alone (so adding the imported
/// tier moves no curated type), an imported type's by the imported resources that use it. An imported resource that
/// uses a curated type enables a curated feature that compiles it ([`Resource::requires`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Owner {
    /// Used by exactly one resource: defined in `models/<module>.rs`, compiled with that resource's feature.
    Resource(String),
    /// A curated type used by several curated resources, or by none: defined in `models/shared.rs`, compiled with
    /// any of these cargo features (sorted): the resources that use it, and [`UNUSED_MODELS_FEATURE`] if a model no
    /// operation uses refers to it.
    Shared(Vec<String>),
    /// An imported type used by several imported resources: defined in a file of its own under `models/imported/`
    /// (`file`), compiled with any of these cargo features (sorted: the resources' `unstable-*` features). Never in
    /// `models/shared.rs`, which every default build parses.
    Imported {
        /// The file's module name (`models/imported/<file>.rs`).
        file: String,
        /// The features of the imported resources that use it.
        features: Vec<String>,
    },
}

/// The cargo feature of the models no operation uses (and of what they use): on by default, so they stay part of
/// the crate, but a consumer who picks resources does not compile them.
pub const UNUSED_MODELS_FEATURE: &str = "unused-models";

/// The cargo feature that enables every curated resource (always emitted). Not the imported tier: `full` stays
/// within the crate's semver promise.
pub const FULL_FEATURE: &str = "full";

/// The cargo feature that enables every imported resource (emitted when the spec has any).
pub const IMPORTED_FEATURE: &str = "unstable-imported";

/// Cargo feature names the manifest defines besides the resources': `default`, [`FULL_FEATURE`],
/// [`UNUSED_MODELS_FEATURE`], and the TLS backends and webhook receiver of the manifest template. A feature group
/// may not take one.
pub const RESERVED_FEATURES: &[&str] = &[
    "default",
    FULL_FEATURE,
    IMPORTED_FEATURE,
    UNUSED_MODELS_FEATURE,
    "rustls-ring",
    "rustls-aws-lc-rs",
    "native-tls",
    "webhook-receiver",
    "webhook-axum",
];

/// An umbrella cargo feature (`x-halo-feature-groups`): enables the features of the resources it lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureGroup {
    /// The feature's name (`sales`), validated: lowercase, not a resource's or a reserved feature.
    pub name: String,
    /// One line saying what it enables, written above it in the manifest.
    pub description: String,
    /// The features (resource modules) it enables, in the spec's order.
    pub features: Vec<String>,
}

/// A named type.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeDef {
    /// The Rust name, unique among models.
    pub rust_name: String,
    /// The schema's key in `components/schemas`, or a synthesized name for inline schemas.
    pub wire_name: String,
    /// Halo's internal name (`x-halo-name`), if the spec records one.
    pub halo_name: Option<String>,
    /// Doc lines.
    pub docs: Vec<String>,
    /// Whether it belongs to the imported tier: reached only by imported resources (so outside the semver promise).
    pub imported: bool,
    /// Where it is defined.
    pub owner: Owner,
    /// What it is.
    pub kind: TypeKind,
}

/// The shape of a named type.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeKind {
    /// A struct with named fields, a map of unknown fields and a private side table.
    Struct(Struct),
    /// An enum with an `Other` fallback.
    Enum(Enum),
    /// A named alias of another type (`type Agents = Vec<Agent>`).
    Alias(Ty),
}

/// A struct.
#[derive(Debug, Clone, PartialEq)]
pub struct Struct {
    /// Fields in document order (the order Halo serialises them).
    pub fields: Vec<Field>,
    /// The Rust name of the map that keeps unknown fields.
    pub extra_field: String,
    /// The Rust name of the private side table (explicit nulls, values of another type).
    pub kept_field: String,
    /// The enum that names the fields (`AgentField`), for `clear(field)` and `raw(field)`: one variant per field,
    /// its discriminant the field's index.
    pub field_enum: String,
    /// Set when this struct is a list wrapper (`x-halo-list-key`).
    pub list: Option<ListWrapper>,
    /// Set on a model that carries Halo's custom fields: it gets methods to read one and to update some.
    pub custom_fields: Option<CustomFields>,
    /// Set on the model of one custom-field entry (`CustomField`): the fields the custom-field methods use.
    pub custom_field_entry: Option<CustomFieldEntry>,
    /// The fields that identify a record of this model in a listing (`x-halo-key`), as indices into `fields`, in the
    /// spec's order; `None` without the extension (the pager then uses an integer or string `id`, if there is one).
    pub key: Option<Vec<usize>>,
}

/// How a model holds its custom fields: a field `customfields`, an optional array of a custom-field entry model.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomFields {
    /// Index into `fields` of the array.
    pub field: usize,
    /// The method that reads one field by name or id (`custom_field`).
    pub read_method: String,
    /// The method that builds an update setting some fields and keeping the others (`custom_fields_update`).
    pub update_method: String,
}

/// The fields of a custom-field entry model, as indices into its `fields`: all optional, `id` an integer, `name`
/// and `display` strings, `value` any JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomFieldEntry {
    /// `id`.
    pub id: usize,
    /// `name`.
    pub name: usize,
    /// `value`.
    pub value: usize,
    /// `display`, if the model has it.
    pub display: Option<usize>,
}

/// How a list wrapper holds its page.
#[derive(Debug, Clone, PartialEq)]
pub struct ListWrapper {
    /// Index into `fields` of the items array.
    pub items_field: usize,
    /// Index into `fields` of `record_count`, if present.
    pub record_count_field: Option<usize>,
    /// The item type.
    pub item: TypeId,
}

/// A struct field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The Rust name.
    pub rust_name: String,
    /// The field's variant in the struct's field enum (`Sms` of `AgentField::Sms`).
    pub variant_name: String,
    /// The JSON name.
    pub wire_name: String,
    /// Doc lines.
    pub docs: Vec<String>,
    /// The type, without the `Option` (see `optional`).
    pub ty: Ty,
    /// `Option<ty>`, omitted from the JSON when `None`.
    pub optional: bool,
    /// Whether the value is boxed (the field is on a reference cycle).
    pub boxed: bool,
}

/// An enum.
#[derive(Debug, Clone, PartialEq)]
pub struct Enum {
    /// Whether values are strings or integers on the wire.
    pub repr: EnumRepr,
    /// The known values, in document order.
    pub variants: Vec<Variant>,
    /// The Rust name of the fallback variant (`Other`) that keeps a value the spec does not list: one Halo sends, or
    /// one a caller passes to a query parameter.
    pub fallback_variant: String,
}

/// The wire representation of an enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnumRepr {
    /// JSON strings.
    String,
    /// JSON integers.
    Integer,
}

/// One enum value.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// The Rust name (from `x-enum-varnames`, or the value itself).
    pub rust_name: String,
    /// The value on the wire.
    pub value: EnumValue,
    /// Doc lines (from `x-enum-descriptions`); empty when the spec says nothing about the value.
    pub docs: Vec<String>,
}

/// An enum value on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnumValue {
    /// A string value.
    String(String),
    /// An integer value.
    Integer(i64),
}

/// A type reference.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    /// `bool`.
    Bool,
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `f64`.
    F64,
    /// `String` (also UUIDs and other formats Halo serialises inconsistently).
    String,
    /// `crate::DateTime` (`format: date-time` or `date`): the text Halo sent, read as a date and time.
    DateTime,
    /// Raw bytes (`format: binary`).
    Bytes,
    /// Any JSON value.
    Json,
    /// A named type.
    Named(TypeId),
    /// `Vec<T>`.
    Vec(Box<Ty>),
    /// `BTreeMap<String, T>`.
    Map(Box<Ty>),
}

impl Ty {
    /// Appends the named types this type refers to (through `Vec` and maps) to `out`.
    pub fn collect_named(&self, out: &mut Vec<TypeId>) {
        match self {
            Ty::Named(id) => out.push(*id),
            Ty::Vec(inner) | Ty::Map(inner) => inner.collect_named(out),
            Ty::Bool | Ty::I32 | Ty::I64 | Ty::F64 | Ty::String | Ty::DateTime | Ty::Bytes | Ty::Json => {}
        }
    }

    /// Whether the type names a model, so that code using it needs `crate::models` in scope.
    pub fn mentions_model(&self) -> bool {
        let mut named = Vec::new();
        self.collect_named(&mut named);
        !named.is_empty()
    }
}

/// A resource: a tag of the spec, a module of the crate, an accessor on the client, a cargo feature.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// The tag as written in the spec (`Agents`).
    pub tag: String,
    /// Halo's internal tag (`Uname`), if recorded.
    pub halo_name: Option<String>,
    /// Module, accessor method and cargo feature name (`agents`).
    pub module: String,
    /// The accessor struct (`Agents`).
    pub type_name: String,
    /// Doc lines (from the tag's description).
    pub docs: Vec<String>,
    /// Whether the resource's cargo feature is in `default` (the tag's `x-halo-default`, `true` when absent; never
    /// for an imported resource).
    pub default_feature: bool,
    /// Whether it belongs to the imported tier (its tag says `x-halo-imported: true`): Halo's swagger as it is, not
    /// curated, behind an `unstable-*` feature and outside the semver promise.
    pub imported: bool,
    /// Its cargo feature: `module` for a curated resource, `unstable-<module>` for an imported one.
    pub feature: String,
    /// The curated features an imported resource's feature enables, for the curated types its operations use (a
    /// curated type is compiled with the curated features that use it); empty for a curated resource.
    pub requires: Vec<String>,
    /// Operations sorted by method name.
    pub operations: Vec<Operation>,
    /// The resource's subcommand of the `halo` command line (`agent-check-ins`), from `lower/cli.rs`.
    pub cli_command: String,
}

/// One method on a resource accessor and its request builder.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// The spec's operationId (shared by the four methods split from one create-or-update POST).
    pub operation_id: String,
    /// The method on the accessor (`list`).
    pub method_name: String,
    /// The builder struct (`ListAgents`).
    pub builder_name: String,
    /// The HTTP method.
    pub http_method: HttpMethod,
    /// The path template as in the spec (`/Agent/{id}`).
    pub path: String,
    /// The spec's summary, as doc lines.
    pub summary: Vec<String>,
    /// The spec's description, as doc lines (empty when it only repeats the summary).
    pub description: Vec<String>,
    /// Whether the spec marks it deprecated.
    pub deprecated: bool,
    /// Path parameters in template order: positional arguments of the method.
    pub path_params: Vec<Param>,
    /// Query parameters sorted by wire name: one setter each.
    pub query_params: Vec<Param>,
    /// The JSON request body, if any.
    pub body: Option<Body>,
    /// What the response decodes to.
    pub response: Response,
    /// Set on the four methods that split Halo's create-or-update POST.
    pub upsert: Option<Upsert>,
    /// Whether sending the request twice has the same effect as sending it once, which decides what the client
    /// retries: GET, PUT and DELETE are; a POST is when it updates records by id (the update half of an upsert) or
    /// the spec says so with `x-halo-idempotent`.
    pub idempotent: bool,
    /// Idempotent after all when every item of the body has this boolean field (its Rust name) set to `true`:
    /// `x-halo-idempotent: {"when_items_have": ...}` (a report sent with `_loadreportonly` only runs). Set on
    /// operations that are not idempotent otherwise.
    pub idempotent_when: Option<IdempotentWhen>,
    /// The OAuth scopes the operation accepts, any one of which is enough (`all`, `all:standard` and its own, such
    /// as `edit:agents`), from its security requirements; empty when it needs no particular scope. The runtime
    /// names them when Halo answers 401 or 403.
    pub scopes: Vec<String>,
    /// How the `halo` command line names the operation and its inputs.
    pub cli: CliNames,
}

/// The names the `halo` command line gives an operation and its inputs (`lower/cli.rs`): kebab-case, unique within
/// the operation's command (the command line's own flags, `--output`, `--json`, `--all`, ..., claimed first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CliNames {
    /// The subcommand under the resource's (`list`, `create-many`), unique among the resource's.
    pub command: String,
    /// One per path parameter, in the same order: the positional argument (`id`).
    pub path_args: Vec<String>,
    /// The positional argument of an update's id (`update`, not `update-many`), after the path parameters' (`id`).
    pub record_id: Option<String>,
    /// One per query parameter, in the same order: the flag without its dashes (`client-id`).
    pub query_flags: Vec<String>,
    /// The flags that set a simple field (a boolean, number, string or date) of the record the operation sends:
    /// `create`, `update` and a plain object body, never the batch methods (those take `--json` only) nor the id
    /// an update takes as its argument. In the body struct's field order.
    pub body_flags: Vec<BodyFlag>,
}

/// A flag that sets one field of the record an operation sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyFlag {
    /// The flag without its dashes (`isdisabled`, `client-id`).
    pub flag: String,
    /// Index into the body struct's `fields`.
    pub field: usize,
}

/// The boolean field of a body's items that makes a request idempotent when every item has it set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentWhen {
    /// The field's Rust name.
    pub field: String,
    /// Whether the field is an `Option<bool>` (else a `bool`).
    pub optional: bool,
}

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HttpMethod {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PUT.
    Put,
    /// PATCH.
    Patch,
    /// DELETE.
    Delete,
}

/// A path or query parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// The Rust name (setter or argument).
    pub rust_name: String,
    /// The name on the wire.
    pub wire_name: String,
    /// Doc lines.
    pub docs: Vec<String>,
    /// The value type.
    pub ty: ParamTy,
    /// Whether the spec requires it.
    pub required: bool,
}

/// The value type of a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamTy {
    /// `bool`.
    Bool,
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `f64`.
    F64,
    /// A string (`impl Into<String>` in setters).
    String,
    /// A `crate::DateTime` (`impl Into<DateTime>` in setters), sent as its text.
    DateTime,
    /// A comma-separated list of integers.
    ListI32,
    /// A comma-separated list of 64-bit integers.
    ListI64,
    /// A comma-separated list of strings.
    ListString,
    /// A string enum of the models (a query parameter whose values Halo documents as a closed set): the setter takes
    /// `impl Into<models::X>`, the value is sent as its wire string.
    Enum(TypeId),
}

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    /// The body type. For array bodies, the item type (see `array`).
    pub ty: Ty,
    /// Whether the body is a JSON array of `ty` (Halo's create/update POSTs).
    pub array: bool,
    /// The accessor method's argument that takes it (`item`, `items`, `body`), unique among its arguments.
    pub arg_name: String,
}

/// What a response decodes to.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    /// No content: `()`.
    Empty,
    /// A JSON value of this type.
    Json(Ty),
    /// A list: the wrapper `{"record_count", "<key>": [...]}` or a bare array, decoded into the wrapper type.
    List {
        /// The wrapper type.
        wrapper: TypeId,
        /// The item type.
        item: TypeId,
        /// Whether the operation pages (`pageinate`, `page_no`, `page_size`).
        paged: bool,
    },
    /// Halo's create-or-update answer: one saved record or an array of them. The single-record methods
    /// ([`Upsert::many`] false) return exactly one record of this type, the others a `Vec` of it.
    Saved(Ty),
    /// Raw bytes (images).
    Bytes,
}

/// Which of the four methods split from Halo's create-or-update POST a method is: `create(item)`,
/// `create_many(items)`, `update(id, item)` or `update_many([(id, item), ...])`.
#[derive(Debug, Clone, PartialEq)]
pub struct Upsert {
    /// Create (refuses items with an id) or update (takes the id as an argument of its own).
    pub role: UpsertRole,
    /// Whether it sends several records (`create_many`, `update_many`) rather than one.
    pub many: bool,
    /// The Rust name of the id field of the item type.
    pub id_field: String,
    /// The type of the id field, without the `Option` (an integer type, validated).
    pub id_ty: Ty,
    /// Whether the id field is an `Option`.
    pub id_optional: bool,
    /// For `update`: the accessor method's argument that takes the id (`id`), unique among its arguments.
    pub id_arg: String,
}

/// See [`Upsert`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsertRole {
    /// Create new records, refusing items that have an id.
    Create,
    /// Update existing records, the id a required argument.
    Update,
}

impl Api {
    /// The type with this ID. IDs only come from this `Api`, so the lookup cannot fail.
    pub fn ty(&self, id: TypeId) -> &TypeDef {
        &self.types[&id]
    }
}
