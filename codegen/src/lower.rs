//! Lower: the validated spec → the IR. Resolves `$ref`s through an arena, assigns every name, boxes recursive
//! fields, decides which module owns each type, and sorts.

use std::collections::{BTreeMap, BTreeSet};

use openapiv3::{
    AdditionalProperties, IntegerFormat, OpenAPI, Operation as SpecOperation, Parameter, ParameterSchemaOrContent,
    ReferenceOr, Schema, SchemaKind, StringFormat, Type, VariantOrUnknownOrEmpty,
};

use crate::docs;
use crate::ir::*;
use crate::names::{self, Namespace};
use crate::spec::Spec;
use crate::syntax;

// The reserved names: what the generated code and the runtime already define or use where a name from the spec
// lands. `lower/reserved_names.rs` checks them against the runtime (parsed with syn) and against the code generated
// from every fixture and the curated spec, so a runtime or emitter change that needs a new entry fails a test;
// `tests/fixtures/reserved_names.json` takes them as tags, operations and parameters and is compiled by CI
// (`cargo xtask check-fixtures`).

/// Methods every request builder defines: setters must not take these names. (`body`, `client`, `new`, `options`
/// and `request` were fields and methods of the builders before they became newtypes of the runtime's `Call`; they
/// stay reserved so that no setter's name changes.)
const BUILDER_RESERVED: &[&str] = &[
    "all",
    "body",
    "client",
    "new",
    "options",
    "pages",
    "request",
    "retry_policy",
    "send",
    "send_with_response",
    "stream",
    "timeout",
];
/// Methods the runtime adds to a resource accessor (issue 20, `emit/resources.rs`'s `kit`): no operation takes them
/// (`bulk_create` and `bulk_update` where Halo's create-or-update is, `sql` where its report runs are).
const ACCESSOR_RESERVED: &[&str] = &["bulk_create", "bulk_update", "sql"];
/// Names a resource module imports, or uses unqualified (the prelude's), besides its builders: a builder or the
/// accessor type named `Some` or `Default` would shadow them.
const MODULE_RESERVED: &[&str] = &[
    "answer",
    "Bulk",
    "Call",
    "Client",
    "Clone",
    "Copy",
    "Debug",
    "Default",
    "Err",
    "Error",
    "Future",
    "Into",
    "IntoIterator",
    "ItemStream",
    "ListError",
    "Method",
    "None",
    "Ok",
    "Option",
    "Pages",
    "R",
    "Request",
    "Response",
    "Result",
    "Send",
    "Some",
    "SqlQuery",
    "String",
    "Vec",
    "models",
];
/// Names a resource module must not take: the crate root's modules and imports, the crates and tools generated code
/// names as a path root (`serde_json::Value`, `#[rustfmt::skip]`), the modules of `models` (`shared`, `imported`,
/// whose resource would also have the umbrella feature's name, `unstable-imported`), and the primitive types (the models modules, one
/// per resource, glob-import each other, so a module `i64` would shadow the type there).
const CRATE_MODULES: &[&str] = &[
    "answer",
    "bool",
    "char",
    "decode_json",
    "f32",
    "f64",
    "i128",
    "i16",
    "i32",
    "i64",
    "i8",
    "imported",
    "isize",
    "model",
    "models",
    "reqwest",
    "runtime",
    "rustfmt",
    "serde",
    "serde_json",
    "shared",
    "std",
    "str",
    "time",
    "u128",
    "u16",
    "u32",
    "u64",
    "u8",
    "usize",
    "webhook_receiver",
];
/// Prelude and std names (and the generic parameters of the models' trait impls and methods) a model must not shadow
/// inside the models modules.
const MODEL_RESERVED: &[&str] = &[
    "A",
    "Box",
    "Clone",
    "Copy",
    "D",
    "Debug",
    "Default",
    "Eq",
    "Err",
    "From",
    "Hash",
    "Into",
    "IntoIterator",
    "K",
    "None",
    "O",
    "Ok",
    "Option",
    "Ord",
    "PartialEq",
    "PartialOrd",
    "Result",
    "S",
    "Self",
    "Send",
    "Sized",
    "Some",
    "String",
    "Sync",
    "ToOwned",
    "ToString",
    "V",
    "Vec",
];
/// Methods of the runtime's `Client`, of any visibility (an accessor of the same name is a duplicate definition,
/// E0592), and of the traits it implements (an accessor would shadow them in method calls: `client.clone()`):
/// resource accessors must not take these names.
const CLIENT_METHODS: &[&str] = &[
    "api_url",
    "builder",
    "call",
    "check_link",
    "clone",
    "clone_from",
    "execute",
    "finish_error",
    "fmt",
    "request",
    "send_bytes",
    "send_empty",
    "send_json",
    "send_list",
    "send_saved",
    "token_url",
    "whoami",
];

/// Lowers a validated spec. `source` names the spec file in docs and headers.
///
/// The curated tier is lowered first and whole (its types, resources and field enums named), then the imported tier
/// (tags with `x-halo-imported: true`, and the schemas only they reach): every name the curated tier takes is taken
/// before any imported name is, so curated wins every collision and its output does not depend on the imported tier.
pub fn lower(spec: &Spec, source: &str) -> Api {
    let model = &spec.model;
    let imported_tags: BTreeSet<String> = model
        .tags
        .iter()
        .filter(|tag| tag.extensions.get(syntax::IMPORTED) == Some(&serde_json::Value::Bool(true)))
        .map(|tag| tag.name.clone())
        .collect();
    let imported_schemas = imported_schemas(model, &imported_tags);
    let mut lowerer = Lowerer {
        model,
        types: BTreeMap::new(),
        ids: BTreeMap::new(),
        names: Namespace::new(MODEL_RESERVED),
        modules: Namespace::new(CRATE_MODULES),
        accessors: Namespace::new(CLIENT_METHODS),
    };
    let curated_schemas = lowerer.declare_components(&|name| !imported_schemas.contains(name));
    lowerer.convert_components(&curated_schemas);
    let mut resources = lowerer.resources(&|tag| !imported_tags.contains(tag), false);
    lowerer.name_field_enums();
    let first_imported = lowerer.types.len();
    if !imported_tags.is_empty() {
        let schemas = lowerer.declare_components(&|name| imported_schemas.contains(name));
        lowerer.convert_components(&schemas);
        resources.extend(lowerer.resources(&|tag| imported_tags.contains(tag), true));
        lowerer.name_field_enums();
    }
    let mut types = lowerer.types;
    for (id, def) in types.iter_mut() {
        def.imported = id.0 >= first_imported;
    }
    box_cycles(&mut types);
    mark_custom_fields(&mut types);
    assign_owners(&mut types, &mut resources);
    resources.sort_by(|a, b| a.module.cmp(&b.module));
    cli::name(&mut resources, &types);
    let feature_groups = feature_groups(model, &resources);
    Api {
        title: model.info.title.clone(),
        version: model.info.version.clone(),
        source: source.to_owned(),
        resources,
        types,
        feature_groups,
    }
}

/// The schemas of the imported tier: those the imported tags' operations reach and nothing curated does. The curated
/// side is what the other operations reach, and every schema no imported operation reaches (so a model no operation
/// uses is curated, `unused-models`, and never refers to an imported one).
fn imported_schemas(model: &OpenAPI, imported_tags: &BTreeSet<String>) -> BTreeSet<String> {
    if imported_tags.is_empty() {
        return BTreeSet::new();
    }
    // Every `$ref` of a part of the spec; a reference to a parameter, request body or response component is
    // followed into that component, so what is left are schema names.
    let schema_refs = |part: serde_json::Value| {
        let mut out = Vec::new();
        let mut work = vec![part];
        while let Some(value) = work.pop() {
            let mut refs = Vec::new();
            json_refs(&value, &mut refs);
            for reference in refs {
                if let Some(name) = syntax::schema_ref_name(&reference) {
                    out.push(name.to_owned());
                    continue;
                }
                let components = model.components.as_ref();
                let component = |prefix: &str| reference.strip_prefix(prefix).map(str::to_owned);
                let found = if let Some(name) = component("#/components/parameters/") {
                    components.and_then(|c| c.parameters.get(&name)).map(serde_json::to_value)
                } else if let Some(name) = component("#/components/requestBodies/") {
                    components.and_then(|c| c.request_bodies.get(&name)).map(serde_json::to_value)
                } else if let Some(name) = component("#/components/responses/") {
                    components.and_then(|c| c.responses.get(&name)).map(serde_json::to_value)
                } else {
                    None
                };
                work.extend(found.and_then(Result::ok));
            }
        }
        out
    };
    let schemas = model.components.as_ref().map(|c| &c.schemas);
    let mut refs_of: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (name, schema) in schemas.into_iter().flatten() {
        refs_of.insert(name, schema_refs(serde_json::to_value(schema).unwrap_or_default()));
    }
    let closure = |roots: Vec<String>| {
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut work = roots;
        while let Some(name) = work.pop() {
            if let Some(refs) = refs_of.get(name.as_str())
                && seen.insert(name)
            {
                work.extend(refs.iter().cloned());
            }
        }
        seen
    };
    let (mut curated_roots, mut imported_roots) = (Vec::new(), Vec::new());
    for item in model.paths.paths.values() {
        let ReferenceOr::Item(item) = item else { continue };
        for (_, operation) in syntax::operations(item) {
            let imported = operation.tags.first().is_some_and(|tag| imported_tags.contains(tag));
            let mut refs = schema_refs(serde_json::to_value(operation).unwrap_or_default());
            refs.extend(schema_refs(serde_json::to_value(&item.parameters).unwrap_or_default()));
            if imported { imported_roots.extend(refs) } else { curated_roots.extend(refs) }
        }
    }
    let imported = closure(imported_roots);
    curated_roots.extend(refs_of.keys().filter(|name| !imported.contains(**name)).map(|name| (*name).to_owned()));
    let curated = closure(curated_roots);
    imported.into_iter().filter(|name| !curated.contains(name)).collect()
}

/// Every `$ref` string in a JSON value.
fn json_refs(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(object) => {
            for (key, value) in object {
                match (key.as_str(), value) {
                    ("$ref", serde_json::Value::String(reference)) => out.push(reference.clone()),
                    _ => json_refs(value, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| json_refs(item, out)),
        _ => {}
    }
}

/// The umbrella features of `x-halo-feature-groups` (validated), each with the features of the resources it lists.
fn feature_groups(model: &openapiv3::OpenAPI, resources: &[Resource]) -> Vec<FeatureGroup> {
    let Some(groups) = model.extensions.get(syntax::FEATURE_GROUPS).and_then(serde_json::Value::as_array) else {
        return Vec::new();
    };
    groups
        .iter()
        .map(|group| {
            let text = |key: &str| group.get(key).and_then(serde_json::Value::as_str).unwrap_or_default().to_owned();
            let tags = group.get("tags").and_then(serde_json::Value::as_array).into_iter().flatten();
            let features = tags
                .filter_map(|tag| tag.as_str())
                .filter_map(|tag| resources.iter().find(|r| r.tag == tag).map(|r| r.module.clone()))
                .collect();
            FeatureGroup { name: text("name"), description: text("description"), features }
        })
        .collect()
}

/// Finds Halo's custom fields by shape: a model whose optional `customfields` is an array of a model with optional
/// `id` (an integer), `name` (a string) and `value` (any JSON). Such entry models get `CustomFieldEntry`, and the
/// models holding them `CustomFields` (the methods `custom_field` and `custom_fields_update`, beside the models'
/// `clear` and `raw`; methods and fields are separate namespaces, so no field name can collide with them).
fn mark_custom_fields(types: &mut BTreeMap<TypeId, TypeDef>) {
    fn entry_of(def: &TypeDef) -> Option<CustomFieldEntry> {
        let TypeKind::Struct(s) = &def.kind else { return None };
        let find = |wire: &str, ok: &dyn Fn(&Ty) -> bool| {
            s.fields.iter().position(|f| f.wire_name == wire && f.optional && !f.boxed && ok(&f.ty))
        };
        Some(CustomFieldEntry {
            id: find("id", &|ty| matches!(ty, Ty::I32 | Ty::I64))?,
            name: find("name", &|ty| *ty == Ty::String)?,
            value: find("value", &|ty| *ty == Ty::Json)?,
            display: find("display", &|ty| *ty == Ty::String),
        })
    }
    let entries: BTreeMap<TypeId, CustomFieldEntry> =
        types.iter().filter_map(|(id, def)| Some((*id, entry_of(def)?))).collect();
    let mut used = BTreeMap::new();
    for def in types.values_mut() {
        let TypeKind::Struct(s) = &mut def.kind else { continue };
        let field = s.fields.iter().position(|f| {
            f.wire_name == "customfields"
                && f.optional
                && !f.boxed
                && matches!(&f.ty, Ty::Vec(item) if matches!(**item, Ty::Named(id) if entries.contains_key(&id)))
        });
        if let Some(field) = field {
            if let Ty::Vec(item) = &s.fields[field].ty
                && let Ty::Named(id) = **item
            {
                used.insert(id, entries[&id].clone());
            }
            s.custom_fields = Some(CustomFields {
                field,
                read_method: "custom_field".to_owned(),
                update_method: "custom_fields_update".to_owned(),
            });
        }
    }
    for (id, entry) in used {
        if let TypeKind::Struct(s) = &mut types.get_mut(&id).expect("an entry model").kind {
            s.custom_field_entry = Some(entry);
        }
    }
}

/// Where an operation is: path, method, the operation, and its path item's shared parameters.
type OperationSite<'s> = (&'s str, &'static str, &'s SpecOperation, &'s [ReferenceOr<Parameter>]);

struct Lowerer<'s> {
    model: &'s OpenAPI,
    types: BTreeMap<TypeId, TypeDef>,
    /// Component schema name → its ID.
    ids: BTreeMap<String, TypeId>,
    /// The models namespace: every type name.
    names: Namespace,
    /// The resource modules (and cargo features): one namespace for both tiers, curated first.
    modules: Namespace,
    /// The accessor methods of `Client`: one namespace for both tiers, curated first.
    accessors: Namespace,
}

impl<'s> Lowerer<'s> {
    /// Names each struct's field enum `<Model>Field` in the models namespace, after every model (models win a
    /// collision: a model `Custom` next to a model `CustomField` gets `CustomField2`), in order of type ID.
    fn name_field_enums(&mut self) {
        for def in self.types.values_mut() {
            if let TypeKind::Struct(s) = &mut def.kind
                && s.field_enum.is_empty()
            {
                s.field_enum = self.names.claim(&format!("{}Field", def.rust_name));
            }
        }
    }

    /// Gives every component schema `wanted` picks an ID and a name before any is converted, in sorted order of
    /// schema name; returns their names in that order.
    fn declare_components(&mut self, wanted: &dyn Fn(&str) -> bool) -> Vec<String> {
        let Some(components) = &self.model.components else { return Vec::new() };
        let mut schema_names: Vec<&String> = components.schemas.keys().filter(|name| wanted(name)).collect();
        schema_names.sort();
        let declared: Vec<String> = schema_names.iter().map(|name| (*name).clone()).collect();
        let wanted: Vec<(&str, String)> = schema_names.iter().map(|name| (name.as_str(), names::camel(name))).collect();
        let rust_names = self.names.assign(&wanted);
        for (name, rust_name) in schema_names.into_iter().zip(rust_names) {
            let id = TypeId(self.types.len());
            self.ids.insert(name.clone(), id);
            let placeholder = TypeDef {
                rust_name,
                wire_name: name.clone(),
                halo_name: None,
                docs: Vec::new(),
                imported: false,
                owner: Owner::Shared(Vec::new()),
                kind: TypeKind::Alias(Ty::Json),
            };
            self.types.insert(id, placeholder);
        }
        declared
    }

    /// Converts the declared component schemas `names` (in that order).
    fn convert_components(&mut self, names: &[String]) {
        let Some(components) = &self.model.components else { return };
        let declared: Vec<(String, TypeId)> = names.iter().map(|name| (name.clone(), self.ids[name])).collect();
        for (name, id) in declared {
            let schema = match &components.schemas[&name] {
                ReferenceOr::Item(schema) => schema,
                ReferenceOr::Reference { reference } => {
                    let target = self.named(reference);
                    self.types.get_mut(&id).expect("declared").kind = TypeKind::Alias(target);
                    continue;
                }
            };
            let rust_name = self.types[&id].rust_name.clone();
            let kind = self.kind(schema, &rust_name);
            let def = self.types.get_mut(&id).expect("declared");
            def.kind = kind;
            def.docs = schema_docs(schema);
            def.halo_name = extension_str(&schema.schema_data.extensions, syntax::HALO_NAME);
        }
    }

    /// A new named type for an inline schema (an inline enum or object), named after where it appears.
    fn inline_type(&mut self, schema: &Schema, name_hint: &str) -> TypeId {
        let rust_name = self.names.claim(&names::camel(name_hint));
        let id = TypeId(self.types.len());
        let placeholder = TypeDef {
            rust_name: rust_name.clone(),
            wire_name: name_hint.to_owned(),
            halo_name: None,
            docs: schema_docs(schema),
            imported: false,
            owner: Owner::Shared(Vec::new()),
            kind: TypeKind::Alias(Ty::Json),
        };
        self.types.insert(id, placeholder);
        let kind = self.kind(schema, &rust_name);
        self.types.get_mut(&id).expect("just inserted").kind = kind;
        id
    }

    fn kind(&mut self, schema: &Schema, rust_name: &str) -> TypeKind {
        match &schema.schema_kind {
            SchemaKind::Type(Type::Object(object)) if !object.properties.is_empty() => {
                TypeKind::Struct(self.structure(schema, object.properties.iter(), &object.required, rust_name))
            }
            SchemaKind::Any(any) if !any.properties.is_empty() => {
                TypeKind::Struct(self.structure(schema, any.properties.iter(), &any.required, rust_name))
            }
            SchemaKind::Type(Type::String(string)) if !string.enumeration.is_empty() => {
                let values = string.enumeration.iter().flatten().map(|v| EnumValue::String(v.clone())).collect();
                TypeKind::Enum(enumeration(EnumRepr::String, values, &schema.schema_data.extensions))
            }
            SchemaKind::Type(Type::Integer(integer)) if !integer.enumeration.is_empty() => {
                let values = integer.enumeration.iter().flatten().map(|v| EnumValue::Integer(*v)).collect();
                TypeKind::Enum(enumeration(EnumRepr::Integer, values, &schema.schema_data.extensions))
            }
            _ => TypeKind::Alias(self.ty(schema, rust_name)),
        }
    }

    fn structure<'p>(
        &mut self,
        schema: &Schema,
        properties: impl Iterator<Item = (&'p String, &'p ReferenceOr<Box<Schema>>)>,
        required: &[String],
        rust_name: &str,
    ) -> Struct {
        let properties: Vec<(&String, &ReferenceOr<Box<Schema>>)> = properties.collect();
        let wanted: Vec<(&str, String)> =
            properties.iter().map(|(wire, _)| (wire.as_str(), names::snake(wire))).collect();
        let mut namespace = Namespace::new(&[]);
        let field_names = namespace.assign(&wanted);
        let extra_field = namespace.claim("extra");
        let kept_field = namespace.claim("kept");
        let wanted_variants: Vec<(&str, String)> =
            properties.iter().map(|(wire, _)| (wire.as_str(), names::camel(wire))).collect();
        let variant_names = Namespace::new(&[]).assign(&wanted_variants);
        let list_key = extension_str(&schema.schema_data.extensions, syntax::LIST_KEY);
        let mut fields = Vec::new();
        for (((wire, property), rust), variant_name) in properties.into_iter().zip(field_names).zip(variant_names) {
            let hint = format!("{rust_name}_{wire}");
            let (ty, nullable, docs) = match property {
                ReferenceOr::Reference { reference } => (self.named(reference), false, Vec::new()),
                ReferenceOr::Item(property) => {
                    (self.ty(property, &hint), property.schema_data.nullable, schema_docs(property))
                }
            };
            let is_list_items = list_key.as_deref() == Some(wire.as_str());
            let optional = !is_list_items && (nullable || !required.contains(wire));
            fields.push(Field {
                rust_name: rust,
                variant_name,
                wire_name: wire.clone(),
                docs,
                ty,
                optional,
                boxed: false,
            });
        }
        let list = list_key.map(|key| {
            let items_field =
                fields.iter().position(|f| f.wire_name == key).expect("validated: list key is a property");
            let item = match &fields[items_field].ty {
                Ty::Vec(item) => match item.as_ref() {
                    Ty::Named(id) => *id,
                    _ => unreachable!("validated: list items are a named schema"),
                },
                _ => unreachable!("validated: list key is an array"),
            };
            let record_count_field = fields.iter().position(|f| f.wire_name == "record_count");
            ListWrapper { items_field, record_count_field, item }
        });
        // Named once every model has its name (`name_field_enums`).
        let field_enum = String::new();
        // Validated: each name is a scalar property of this schema.
        let key = schema.schema_data.extensions.get(syntax::KEY).and_then(|names| names.as_array()).map(|names| {
            names
                .iter()
                .filter_map(|name| fields.iter().position(|f| Some(f.wire_name.as_str()) == name.as_str()))
                .collect()
        });
        Struct { fields, extra_field, kept_field, field_enum, list, custom_fields: None, custom_field_entry: None, key }
    }

    /// The type of a schema used in a field, an item or a body; inline enums and objects become named types.
    fn ty(&mut self, schema: &Schema, name_hint: &str) -> Ty {
        match &schema.schema_kind {
            SchemaKind::Type(Type::Boolean(_)) => Ty::Bool,
            SchemaKind::Type(Type::Integer(integer)) if integer.enumeration.is_empty() => match integer.format {
                VariantOrUnknownOrEmpty::Item(IntegerFormat::Int32) => Ty::I32,
                _ => Ty::I64,
            },
            SchemaKind::Type(Type::Number(_)) => Ty::F64,
            SchemaKind::Type(Type::String(string)) if string.enumeration.is_empty() => match string.format {
                VariantOrUnknownOrEmpty::Item(StringFormat::Binary) => Ty::Bytes,
                VariantOrUnknownOrEmpty::Item(StringFormat::DateTime | StringFormat::Date) => Ty::DateTime,
                _ => Ty::String,
            },
            SchemaKind::Type(Type::Array(array)) => {
                let items = array.items.as_ref().expect("validated: arrays have items");
                Ty::Vec(Box::new(self.boxed_ty(items, &format!("{name_hint}_item"))))
            }
            SchemaKind::Type(Type::Object(object)) if object.properties.is_empty() => {
                match &object.additional_properties {
                    Some(AdditionalProperties::Schema(values)) => {
                        let values = match values.as_ref() {
                            ReferenceOr::Reference { reference } => self.named(reference),
                            ReferenceOr::Item(values) => self.ty(values, &format!("{name_hint}_value")),
                        };
                        Ty::Map(Box::new(values))
                    }
                    _ => Ty::Json,
                }
            }
            SchemaKind::Any(any) if any.properties.is_empty() => match &any.items {
                Some(items) => Ty::Vec(Box::new(self.boxed_ty(items, &format!("{name_hint}_item")))),
                None => Ty::Json,
            },
            _ => Ty::Named(self.inline_type(schema, name_hint)),
        }
    }

    fn boxed_ty(&mut self, schema: &ReferenceOr<Box<Schema>>, name_hint: &str) -> Ty {
        match schema {
            ReferenceOr::Reference { reference } => self.named(reference),
            ReferenceOr::Item(schema) => self.ty(schema, name_hint),
        }
    }

    fn ref_or_ty(&mut self, schema: &ReferenceOr<Schema>, name_hint: &str) -> Ty {
        match schema {
            ReferenceOr::Reference { reference } => self.named(reference),
            ReferenceOr::Item(schema) => self.ty(schema, name_hint),
        }
    }

    fn named(&self, reference: &str) -> Ty {
        let name = syntax::schema_ref_name(reference).expect("validated: schema refs point into components");
        Ty::Named(self.ids[name])
    }

    /// The resources of the tags `wanted` picks, all `imported` or none.
    fn resources(&mut self, wanted: &dyn Fn(&str) -> bool, imported: bool) -> Vec<Resource> {
        let model = self.model;
        let tag_info: BTreeMap<&str, &openapiv3::Tag> = model.tags.iter().map(|tag| (tag.name.as_str(), tag)).collect();
        let mut by_tag: BTreeMap<String, Vec<OperationSite<'_>>> = BTreeMap::new();
        for (path, item) in &model.paths.paths {
            let ReferenceOr::Item(item) = item else { unreachable!("validated: no path item refs") };
            for (method, operation) in syntax::operations(item) {
                let tag = operation.tags.first().expect("validated: every operation has a tag").clone();
                if wanted(&tag) {
                    by_tag.entry(tag).or_default().push((path.as_str(), method, operation, &item.parameters));
                }
            }
        }
        let tags: Vec<&String> = by_tag.keys().collect();
        let module_names =
            self.modules.assign(&tags.iter().map(|tag| (tag.as_str(), names::snake(tag))).collect::<Vec<_>>());
        let mut resources = Vec::new();
        for (tag, module) in by_tag.keys().cloned().collect::<Vec<_>>().into_iter().zip(module_names) {
            let module = self.accessors.claim(&module);
            let mut module_namespace = Namespace::new(MODULE_RESERVED);
            let type_name = module_namespace.claim(&names::camel(&tag));
            let info = tag_info.get(tag.as_str());
            let mut operations = Vec::new();
            let mut methods = Namespace::new(ACCESSOR_RESERVED);
            let mut ops = by_tag.remove(&tag).unwrap_or_default();
            // Sorted by operationId so the names handed out by the collision rule never depend on path order.
            ops.sort_by(|a, b| a.2.operation_id.cmp(&b.2.operation_id));
            for (path, method, operation, shared) in ops {
                for op in self.operations(path, method, operation, shared, &tag) {
                    operations.push(op);
                }
            }
            // The spec's operations claim their names first. A create-or-update POST gives its `create` and
            // `update` methods and its batch builders (`CreateAgents`, `UpdateAgents`) the names of the operation;
            // what the split adds (the methods `create_many` and `update_many`, the single-record builders
            // `CreateAgent` and `UpdateAgent`) takes what is left (`update_many_2`).
            let derived = |op: &Operation, builder: bool| op.upsert.as_ref().is_some_and(|u| u.many != builder);
            for op in &mut operations {
                if !derived(op, false) {
                    op.method_name = methods.claim(&op.method_name);
                }
                if !derived(op, true) {
                    op.builder_name = module_namespace.claim(&op.builder_name);
                }
            }
            for op in &mut operations {
                if derived(op, false) {
                    op.method_name = methods.claim(&op.method_name);
                }
                if derived(op, true) {
                    op.builder_name = module_namespace.claim(&op.builder_name);
                }
            }
            operations.sort_by(|a, b| a.method_name.cmp(&b.method_name));
            resources.push(Resource {
                halo_name: info.and_then(|t| extension_str(&t.extensions, syntax::HALO_NAME)),
                default_feature: !imported
                    && info
                        .and_then(|t| t.extensions.get(syntax::DEFAULT_FEATURE))
                        .and_then(serde_json::Value::as_bool)
                        .unwrap_or(true),
                imported,
                feature: if imported { format!("{}{module}", syntax::IMPORTED_FEATURE_PREFIX) } else { module.clone() },
                requires: Vec::new(),
                docs: info.and_then(|t| t.description.as_deref()).map(docs::lines).unwrap_or_default(),
                tag,
                module,
                type_name,
                operations,
                cli_command: String::new(),
            });
        }
        resources
    }

    /// One operation, or four for Halo's create-or-update (`create`, `create_many`, `update`, `update_many`).
    fn operations(
        &mut self,
        path: &str,
        method: &str,
        operation: &SpecOperation,
        shared: &[ReferenceOr<Parameter>],
        tag: &str,
    ) -> Vec<Operation> {
        let operation_id = operation.operation_id.clone().expect("validated: operationId");
        let method_name =
            extension_str(&operation.extensions, syntax::METHOD).unwrap_or_else(|| names::snake(&operation_id));
        let builder_name = names::camel(&operation_id);
        let summary = operation.summary.as_deref().map(docs::lines).unwrap_or_default();
        let description = operation
            .description
            .as_deref()
            .map(docs::lines)
            .filter(|description| *description != summary)
            .unwrap_or_default();
        let (path_params, query_params) = self.params(operation, shared, path, &builder_name);
        // The accessor method's arguments: the path parameters, then the body (and an update's id).
        let mut arguments = Namespace::new(&path_params.iter().map(|p| p.rust_name.as_str()).collect::<Vec<_>>());
        let body = self.body(operation, &builder_name).map(|(ty, array)| {
            let arg_name = arguments.claim(if array { "items" } else { "body" });
            Body { ty, array, arg_name }
        });
        let upsert = operation.extensions.get(syntax::UPSERT).and_then(syntax::upsert_id).map(str::to_owned);
        let response = self.response(operation, &builder_name, &query_params);
        let marker = operation.extensions.get(syntax::IDEMPOTENT).and_then(syntax::idempotency);
        let idempotent = match marker {
            Some(syntax::Idempotency::Always(flag)) => flag,
            _ => matches!(method, "get" | "put" | "delete"),
        };
        let idempotent_when = match (marker, &body) {
            (Some(syntax::Idempotency::WhenItemsHave(flag)), Some(Body { ty: Ty::Named(item), array: true, .. })) => {
                match &self.types[item].kind {
                    TypeKind::Struct(s) => s.fields.iter().find(|f| f.wire_name == flag),
                    _ => None,
                }
                .map(|field| IdempotentWhen { field: field.rust_name.clone(), optional: field.optional })
            }
            _ => None,
        }
        .filter(|_| !idempotent);
        let base = Operation {
            operation_id,
            method_name,
            builder_name,
            http_method: match method {
                "get" => HttpMethod::Get,
                "post" => HttpMethod::Post,
                "put" => HttpMethod::Put,
                "patch" => HttpMethod::Patch,
                _ => HttpMethod::Delete,
            },
            path: path.to_owned(),
            summary,
            description,
            deprecated: operation.deprecated,
            path_params,
            query_params,
            body,
            response,
            upsert: None,
            idempotent,
            idempotent_when,
            scopes: syntax::accepted_scopes(self.model, operation),
            cli: CliNames::default(),
        };
        let Some(id_wire) = upsert else { return vec![base] };
        let item = match &base.body {
            Some(Body { ty: Ty::Named(id), array: true, .. }) => *id,
            _ => unreachable!("validated: upsert bodies are arrays of a named schema"),
        };
        let id = match &self.types[&item].kind {
            TypeKind::Struct(s) => s.fields.iter().find(|f| f.wire_name == id_wire),
            _ => None,
        }
        .expect("validated: the upsert id is a property of the item");
        let (id_field, id_ty, id_optional) = (id.rust_name.clone(), id.ty.clone(), id.optional);
        // Single-record builders are named after the item type (`CreateAgent`), batch builders after the tag
        // (`CreateAgents`).
        let item_name = self.types[&item].rust_name.clone();
        let (id_arg, item_arg) = (arguments.claim("id"), arguments.claim("item"));
        [
            (UpsertRole::Create, false),
            (UpsertRole::Create, true),
            (UpsertRole::Update, false),
            (UpsertRole::Update, true),
        ]
        .into_iter()
        .map(|(role, many)| {
            let verb = match role {
                UpsertRole::Create => "create",
                UpsertRole::Update => "update",
            };
            let mut op = base.clone();
            op.method_name = if many { format!("{verb}_many") } else { verb.to_owned() };
            op.builder_name = names::camel(&format!("{verb}_{}", if many { tag } else { &item_name }));
            op.response = Response::Saved(Ty::Named(item));
            if !many && let Some(body) = &mut op.body {
                body.arg_name = item_arg.clone();
            }
            let id_arg = id_arg.clone();
            op.upsert =
                Some(Upsert { role, many, id_field: id_field.clone(), id_ty: id_ty.clone(), id_optional, id_arg });
            // Setting fields of the records an id names is idempotent; creating records is not, unless the items
            // say they are only to be run (`idempotent_when`).
            op.idempotent = role == UpsertRole::Update;
            if op.idempotent {
                op.idempotent_when = None;
            }
            op
        })
        .collect()
    }

    fn params(
        &mut self,
        operation: &SpecOperation,
        shared: &[ReferenceOr<Parameter>],
        path: &str,
        builder_name: &str,
    ) -> (Vec<Param>, Vec<Param>) {
        let model = self.model;
        let mut path_params = Vec::new();
        let mut query_params = Vec::new();
        for parameter in shared.iter().chain(&operation.parameters) {
            let parameter = match parameter {
                ReferenceOr::Item(parameter) => parameter,
                ReferenceOr::Reference { reference } => {
                    syntax::component_parameter(model, reference).expect("validated: parameter refs resolve")
                }
            };
            let (is_path, data) = match parameter {
                Parameter::Path { parameter_data, .. } => (true, parameter_data),
                Parameter::Query { parameter_data, .. } => (false, parameter_data),
                _ => unreachable!("validated: only path and query parameters"),
            };
            let ParameterSchemaOrContent::Schema(schema_or_ref) = &data.format else {
                unreachable!("validated: schema")
            };
            let schema = match schema_or_ref {
                ReferenceOr::Item(schema) => schema,
                ReferenceOr::Reference { reference } => syntax::component_schema(model, reference).expect("validated"),
            };
            let mut param_docs = data.description.as_deref().map(docs::lines).unwrap_or_default();
            let mut ty = param_ty(schema);
            if let SchemaKind::Type(Type::String(string)) = &schema.schema_kind
                && !string.enumeration.is_empty()
            {
                if is_path {
                    let values: Vec<&str> = string.enumeration.iter().flatten().map(String::as_str).collect();
                    param_docs.push(docs::one_of(&values));
                } else {
                    // A closed set of values: a string enum of the models (the component's, or one named after the
                    // operation and parameter), which documents each value.
                    let id = match schema_or_ref {
                        ReferenceOr::Reference { reference } => {
                            let name = syntax::schema_ref_name(reference).expect("validated: schema refs");
                            self.ids[name]
                        }
                        ReferenceOr::Item(schema) => {
                            let id = self.inline_type(schema, &format!("{builder_name}_{}", data.name));
                            let def = self.types.get_mut(&id).expect("just made");
                            if def.docs.is_empty() {
                                let operation_id = operation.operation_id.as_deref().unwrap_or_default();
                                def.docs.push(docs::query_enum(&data.name, operation_id));
                            }
                            id
                        }
                    };
                    ty = ParamTy::Enum(id);
                }
            }
            let param = Param {
                rust_name: names::snake(&data.name),
                wire_name: data.name.clone(),
                docs: param_docs,
                ty,
                required: data.required,
            };
            if is_path { path_params.push(param) } else { query_params.push(param) }
        }
        // Path parameters in template order; query parameters sorted by wire name.
        let order = syntax::path_template_params(path);
        path_params.sort_by_key(|p| order.iter().position(|name| *name == p.wire_name));
        query_params.sort_by(|a, b| a.wire_name.cmp(&b.wire_name));
        let mut namespace = Namespace::new(BUILDER_RESERVED);
        let all: Vec<(&str, String)> =
            path_params.iter().chain(&query_params).map(|p| (p.wire_name.as_str(), p.rust_name.clone())).collect();
        let assigned = namespace.assign(&all);
        for (param, name) in path_params.iter_mut().chain(query_params.iter_mut()).zip(assigned) {
            param.rust_name = name;
        }
        (path_params, query_params)
    }

    /// The body's type, and whether it is a JSON array of that type.
    fn body(&mut self, operation: &SpecOperation, builder_name: &str) -> Option<(Ty, bool)> {
        let body = match operation.request_body.as_ref()? {
            ReferenceOr::Item(body) => body,
            ReferenceOr::Reference { reference } => {
                syntax::component_request_body(self.model, reference).expect("validated: body refs resolve")
            }
        };
        let (_, content) = syntax::json_media(&body.content).expect("validated: JSON body");
        let schema = content.schema.as_ref().expect("validated: body schema");
        let hint = format!("{builder_name}_body");
        if let ReferenceOr::Item(Schema { schema_kind: SchemaKind::Type(Type::Array(array)), .. }) = schema {
            let items = array.items.as_ref().expect("validated: arrays have items");
            return Some((self.boxed_ty(items, &format!("{hint}_item")), true));
        }
        Some((self.ref_or_ty(schema, &hint), false))
    }

    fn response(&mut self, operation: &SpecOperation, builder_name: &str, query: &[Param]) -> Response {
        let (_, response) = syntax::success_response(operation).expect("validated: success response");
        let response = match response {
            ReferenceOr::Item(response) => response,
            ReferenceOr::Reference { reference } => {
                syntax::component_response(self.model, reference).expect("validated: response refs resolve")
            }
        };
        if let Some((_, content)) = syntax::json_media(&response.content)
            && let Some(schema) = &content.schema
        {
            if let Some((wrapper, item)) = syntax::list_response(self.model, schema) {
                let paged =
                    ["pageinate", "page_no", "page_size"].iter().all(|name| query.iter().any(|p| p.wire_name == *name));
                return Response::List { wrapper: self.ids[wrapper], item: self.ids[item], paged };
            }
            return Response::Json(self.ref_or_ty(schema, &format!("{builder_name}_response")));
        }
        if syntax::is_binary(&response.content) {
            return Response::Bytes;
        }
        Response::Empty
    }
}

fn param_ty(schema: &Schema) -> ParamTy {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Boolean(_)) => ParamTy::Bool,
        SchemaKind::Type(Type::Integer(integer)) => match integer.format {
            VariantOrUnknownOrEmpty::Item(IntegerFormat::Int32) => ParamTy::I32,
            _ => ParamTy::I64,
        },
        SchemaKind::Type(Type::Number(_)) => ParamTy::F64,
        SchemaKind::Type(Type::String(string)) => match string.format {
            VariantOrUnknownOrEmpty::Item(StringFormat::DateTime | StringFormat::Date) => ParamTy::DateTime,
            _ => ParamTy::String,
        },
        SchemaKind::Type(Type::Array(array)) => match array.items.as_ref().and_then(|items| items.as_item()) {
            Some(items) => match &items.schema_kind {
                SchemaKind::Type(Type::Integer(integer)) => match integer.format {
                    VariantOrUnknownOrEmpty::Item(IntegerFormat::Int32) => ParamTy::ListI32,
                    _ => ParamTy::ListI64,
                },
                _ => ParamTy::ListString,
            },
            None => ParamTy::ListString,
        },
        _ => unreachable!("validated: parameter types"),
    }
}

fn enumeration(
    repr: EnumRepr,
    values: Vec<EnumValue>,
    extensions: &indexmap::IndexMap<String, serde_json::Value>,
) -> Enum {
    // `x-enum-varnames` names the values and `x-enum-descriptions` says what they mean (openapi-generator's
    // extensions; validated to match `enum` one to one); otherwise a string names itself and an integer is `Value3`,
    // `ValueMinus1`.
    let strings = |key: &str| -> Vec<String> {
        extensions
            .get(key)
            .and_then(|names| names.as_array())
            .map(|names| names.iter().filter_map(|n| n.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    let given = strings(syntax::ENUM_VARNAMES);
    let descriptions = strings(syntax::ENUM_DESCRIPTIONS);
    let mut namespace = Namespace::new(&[]);
    let mut variants = Vec::new();
    let mut seen = BTreeSet::new();
    for (index, value) in values.into_iter().enumerate() {
        if !seen.insert(format!("{value:?}")) {
            continue;
        }
        let wanted = match (&value, given.get(index)) {
            (_, Some(name)) => names::camel(name),
            (EnumValue::String(text), None) => names::camel(text),
            (EnumValue::Integer(n), None) if *n < 0 => format!("ValueMinus{}", n.unsigned_abs()),
            (EnumValue::Integer(n), None) => format!("Value{n}"),
        };
        let docs = descriptions.get(index).map(|text| docs::lines(text)).unwrap_or_default();
        variants.push(Variant { rust_name: namespace.claim(&wanted), value, docs });
    }
    let fallback_variant = namespace.claim("Other");
    Enum { repr, variants, fallback_variant }
}

fn schema_docs(schema: &Schema) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(title) = &schema.schema_data.title {
        lines.extend(docs::lines(title));
    }
    if let Some(description) = &schema.schema_data.description {
        if !lines.is_empty() {
            lines.push(String::new());
        }
        lines.extend(docs::lines(description));
    }
    lines
}

fn extension_str(extensions: &indexmap::IndexMap<String, serde_json::Value>, key: &str) -> Option<String> {
    extensions.get(key).and_then(|value| value.as_str()).map(str::to_owned)
}

/// Boxes every field whose type directly contains its own struct again (a reference cycle without a `Vec` or map
/// in between), which would otherwise be an infinitely sized type.
fn box_cycles(types: &mut BTreeMap<TypeId, TypeDef>) {
    let edges: BTreeMap<TypeId, Vec<TypeId>> = types
        .iter()
        .map(|(id, def)| {
            let targets = match &def.kind {
                TypeKind::Struct(s) => s.fields.iter().filter_map(|f| direct(&f.ty)).collect(),
                TypeKind::Alias(ty) => direct(ty).into_iter().collect(),
                TypeKind::Enum(_) => Vec::new(),
            };
            (*id, targets)
        })
        .collect();
    let component = strongly_connected(&edges);
    for (id, def) in types.iter_mut() {
        let TypeKind::Struct(s) = &mut def.kind else { continue };
        for field in &mut s.fields {
            if let Some(target) = direct(&field.ty) {
                field.boxed = component[&target] == component[id];
            }
        }
    }
}

/// The named type a field holds inline (not behind a `Vec` or map, which already allocate).
fn direct(ty: &Ty) -> Option<TypeId> {
    match ty {
        Ty::Named(id) => Some(*id),
        _ => None,
    }
}

/// Tarjan's algorithm: the strongly connected component of every node. Iterative, so a deep schema graph cannot
/// overflow the stack.
fn strongly_connected(edges: &BTreeMap<TypeId, Vec<TypeId>>) -> BTreeMap<TypeId, usize> {
    #[derive(Default)]
    struct State {
        index: BTreeMap<TypeId, usize>,
        low: BTreeMap<TypeId, usize>,
        on_stack: BTreeSet<TypeId>,
        stack: Vec<TypeId>,
        calls: Vec<(TypeId, usize)>,
    }
    impl State {
        fn visit(&mut self, node: TypeId) {
            let n = self.index.len();
            self.index.insert(node, n);
            self.low.insert(node, n);
            self.stack.push(node);
            self.on_stack.insert(node);
            self.calls.push((node, 0));
        }
        fn lower_to(&mut self, node: TypeId, value: usize) {
            let low = self.low.get_mut(&node).expect("visited");
            *low = (*low).min(value);
        }
    }
    let mut state = State::default();
    let mut component = BTreeMap::new();
    let mut components = 0;
    for &root in edges.keys() {
        if state.index.contains_key(&root) {
            continue;
        }
        state.visit(root);
        while let Some(&(node, child)) = state.calls.last() {
            if let Some(&target) = edges[&node].get(child) {
                state.calls.last_mut().expect("non-empty").1 += 1;
                if !state.index.contains_key(&target) {
                    state.visit(target);
                } else if state.on_stack.contains(&target) {
                    let index = state.index[&target];
                    state.lower_to(node, index);
                }
                continue;
            }
            state.calls.pop();
            if let Some(&(parent, _)) = state.calls.last() {
                let low = state.low[&node];
                state.lower_to(parent, low);
            }
            if state.low[&node] == state.index[&node] {
                while let Some(member) = state.stack.pop() {
                    state.on_stack.remove(&member);
                    component.insert(member, components);
                    if member == node {
                        break;
                    }
                }
                components += 1;
            }
        }
    }
    component
}

/// Decides where each type is defined: with the one resource that reaches it, or shared. Types no operation reaches
/// count as reached by a pseudo-resource, so they and everything they use stay shared, compiled with the
/// `unused-models` feature (and with the resources that use them).
///
/// Per tier: a curated type's owner is decided by the curated resources alone, an imported type's by the imported
/// ones (shared imported types get a file each under `models/imported/shared/`). An imported resource that reaches
/// curated types gets, in [`Resource::requires`], curated features that compile them.
fn assign_owners(types: &mut BTreeMap<TypeId, TypeDef>, resources: &mut [Resource]) {
    let roots_of = |resource: &Resource| {
        let mut ids = Vec::new();
        for op in &resource.operations {
            if let Some(body) = &op.body {
                body.ty.collect_named(&mut ids);
            }
            ids.extend(op.query_params.iter().filter_map(|param| match param.ty {
                ParamTy::Enum(id) => Some(id),
                _ => None,
            }));
            match &op.response {
                Response::Json(ty) | Response::Saved(ty) => ty.collect_named(&mut ids),
                Response::List { wrapper, item, .. } => ids.extend([*wrapper, *item]),
                Response::Empty | Response::Bytes => {}
            }
        }
        ids
    };
    // The curated tier, exactly as without an imported one.
    let mut roots: Vec<(String, Vec<TypeId>)> =
        resources.iter().filter(|r| !r.imported).map(|r| (r.module.clone(), roots_of(r))).collect();
    let mut reached_any = BTreeSet::new();
    for (_, ids) in &roots {
        walk(types, ids, &mut reached_any);
    }
    let unreached: Vec<TypeId> =
        types.iter().filter(|(id, def)| !def.imported && !reached_any.contains(id)).map(|(id, _)| *id).collect();
    roots.push((String::new(), unreached));
    let mut reached_by: BTreeMap<TypeId, BTreeSet<String>> = BTreeMap::new();
    for (module, ids) in roots {
        let mut seen = BTreeSet::new();
        walk(types, &ids, &mut seen);
        for id in seen {
            reached_by.entry(id).or_default().insert(module.clone());
        }
    }
    for (id, def) in types.iter_mut().filter(|(_, def)| !def.imported) {
        let modules = reached_by.remove(id).unwrap_or_default();
        def.owner = match modules.len() {
            1 if !modules.contains("") => Owner::Resource(modules.into_iter().next().expect("one")),
            _ => {
                let features: BTreeSet<String> = modules
                    .into_iter()
                    .map(|module| if module.is_empty() { UNUSED_MODELS_FEATURE.to_owned() } else { module })
                    .collect();
                Owner::Shared(features.into_iter().collect())
            }
        };
    }

    // The imported tier: its types by the imported resources that reach them; the curated types they reach become
    // required features.
    let default_features: BTreeSet<String> =
        resources.iter().filter(|r| r.default_feature).map(|r| r.feature.clone()).collect();
    let mut imported_by: BTreeMap<TypeId, BTreeSet<(String, String)>> = BTreeMap::new();
    for resource in resources.iter_mut().filter(|r| r.imported) {
        let mut seen = BTreeSet::new();
        walk(types, &roots_of(resource), &mut seen);
        let mut requires: BTreeSet<String> = BTreeSet::new();
        for id in seen {
            let def = &types[&id];
            if def.imported {
                imported_by.entry(id).or_default().insert((resource.module.clone(), resource.feature.clone()));
                continue;
            }
            // A feature that compiles this curated type: one already required, else one on by default (free for
            // most consumers), else the first.
            let candidates: &[String] = match &def.owner {
                Owner::Resource(module) => std::slice::from_ref(module),
                Owner::Shared(features) | Owner::Imported { features, .. } => features,
            };
            if candidates.iter().any(|feature| requires.contains(feature)) {
                continue;
            }
            let pick = candidates.iter().find(|f| default_features.contains(*f)).or(candidates.first());
            requires.extend(pick.cloned());
        }
        resource.requires = requires.into_iter().collect();
    }
    let mut files = Namespace::new(&[]);
    let mut shared: Vec<(String, TypeId)> = Vec::new();
    for (id, def) in types.iter_mut().filter(|(_, def)| def.imported) {
        let users = imported_by.remove(id).unwrap_or_default();
        if users.len() == 1 {
            def.owner = Owner::Resource(users.into_iter().next().expect("one").0);
        } else {
            let mut features: Vec<String> = users.into_iter().map(|(_, feature)| feature).collect();
            if features.is_empty() {
                // Not reached (cannot happen: the tier is what imported operations reach); the tier's umbrella.
                features.push(IMPORTED_FEATURE.to_owned());
            }
            def.owner = Owner::Imported { file: String::new(), features };
            shared.push((def.rust_name.clone(), *id));
        }
    }
    // One file per shared imported type, named after it, in the order of the names (stable as others come and go).
    shared.sort();
    for (rust_name, id) in shared {
        if let Owner::Imported { file, .. } = &mut types.get_mut(&id).expect("an imported type").owner {
            *file = files.claim(&names::snake(&rust_name));
        }
    }
}

fn walk(types: &BTreeMap<TypeId, TypeDef>, roots: &[TypeId], seen: &mut BTreeSet<TypeId>) {
    let mut work: Vec<TypeId> = roots.to_vec();
    while let Some(id) = work.pop() {
        if !seen.insert(id) {
            continue;
        }
        let mut next = Vec::new();
        match &types[&id].kind {
            TypeKind::Struct(s) => s.fields.iter().for_each(|f| f.ty.collect_named(&mut next)),
            TypeKind::Alias(ty) => ty.collect_named(&mut next),
            TypeKind::Enum(_) => {}
        }
        work.extend(next);
    }
}

mod cli;
#[cfg(test)]
mod reserved_names;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tarjan_finds_cycles_and_self_loops() {
        let edges: BTreeMap<TypeId, Vec<TypeId>> = [
            (TypeId(0), vec![TypeId(1)]),
            (TypeId(1), vec![TypeId(2)]),
            (TypeId(2), vec![TypeId(0), TypeId(3)]),
            (TypeId(3), vec![TypeId(3)]),
            (TypeId(4), vec![TypeId(0)]),
        ]
        .into_iter()
        .collect();
        let c = strongly_connected(&edges);
        assert_eq!(c[&TypeId(0)], c[&TypeId(1)]);
        assert_eq!(c[&TypeId(1)], c[&TypeId(2)]);
        assert_ne!(c[&TypeId(2)], c[&TypeId(3)]);
        assert_ne!(c[&TypeId(4)], c[&TypeId(0)]);
    }
}
