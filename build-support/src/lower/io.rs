//! Input and output processing fields: paths, payload templates, `Assign`
//! values, JSONata strings and fields that take a number or a path.

use super::*;

impl Lowerer<'_> {
    /// The input/output fields of a state: only those its type and language
    /// allow (the others were reported by `unknown_fields` and
    /// `query_language_fields`), so the model never holds a forbidden field.
    pub(super) fn io(&mut self, obj: &Obj, lang: QueryLanguage, what: &str) -> Io {
        let allowed = self.state_fields;
        // Only a field of this type and language, and present; a Map's
        // Parameters is its ItemSelector (see `map`).
        let wanted = |key: &str, only: QueryLanguage| {
            allowed.contains(&key)
                && lang == only
                && obj.has(key)
                && !(key == PARAMETERS && what.starts_with("Map "))
        };
        let mut io = Io::default();
        let (jp, ja) = (QueryLanguage::JsonPath, QueryLanguage::Jsonata);
        if wanted(INPUT_PATH, jp) {
            io.input_path = self.nullable_path(obj, INPUT_PATH);
        }
        if wanted(OUTPUT_PATH, jp) {
            io.output_path = self.nullable_path(obj, OUTPUT_PATH);
        }
        if wanted(RESULT_PATH, jp) {
            io.result_path = self.result_path(obj);
        }
        if wanted(RESULT_SELECTOR, jp) {
            io.result_selector = self.template_field(obj, RESULT_SELECTOR, lang);
        }
        if wanted(PARAMETERS, jp) {
            io.parameters = self.template_field(obj, PARAMETERS, lang);
        }
        if wanted(ARGUMENTS, ja) {
            io.arguments = self.template_field(obj, ARGUMENTS, lang);
        }
        if wanted(OUTPUT, ja) {
            io.output = self.template_field(obj, OUTPUT, lang);
        }
        if allowed.contains(&ASSIGN) {
            io.assign = self.assign(obj, lang);
        }
        io
    }

    /// Rule `asl::invalid-path`: `InputPath`/`OutputPath` hold a JSONPath (or
    /// null), never an intrinsic function. `"InputPath": "States.Array($.a)"`
    pub(super) fn nullable_path(&mut self, obj: &Obj, key: &str) -> Option<Nullable<Path>> {
        let m = obj.get(key)?;
        let ptr = obj.child(key);
        let origin = self.origin(&m.value, &ptr);
        match &m.value.value {
            JsonValue::Null => Some(Nullable {
                value: None,
                origin,
            }),
            JsonValue::String(s) => match expr_parse::parse_path(s) {
                Ok(p) => Some(Nullable {
                    value: Some(p),
                    origin,
                }),
                Err(e) => {
                    self.error(
                        Rule::InvalidPath,
                        origin,
                        format!("\"{key}\" is not a valid path: {e}"),
                        "a path starts with `$`, e.g. `$.items[0]`",
                    );
                    None
                }
            },
            _ => {
                self.wrong_type(&m.value, &ptr, key, "a path string or null");
                None
            }
        }
    }

    /// Rule `asl::invalid-path` (ResultPath): a reference path rooted at the
    /// state input `$`, or null. `"ResultPath": "$.a[*]"`, `"ResultPath": "$var"`.
    pub(super) fn result_path(&mut self, obj: &Obj) -> Option<Nullable<ReferencePath>> {
        let m = obj.get(RESULT_PATH)?;
        let ptr = obj.child(RESULT_PATH);
        let origin = self.origin(&m.value, &ptr);
        match &m.value.value {
            JsonValue::Null => Some(Nullable {
                value: None,
                origin,
            }),
            JsonValue::String(s) => match expr_parse::parse_reference_path(s) {
                Ok(r) if r.root == Root::Input => Some(Nullable {
                    value: Some(r),
                    origin,
                }),
                Ok(_) => {
                    self.error(
                        Rule::InvalidPath,
                        origin,
                        format!("\"ResultPath\" `{s}` must start with `$.` (the state input): the context object and variables cannot be written"),
                        "use `Assign` to set a variable",
                    );
                    None
                }
                Err(e) => {
                    self.error(
                        Rule::InvalidPath,
                        origin,
                        format!("\"ResultPath\" is not valid: {e}"),
                        "e.g. `$.result`",
                    );
                    None
                }
            },
            _ => {
                self.wrong_type(
                    &m.value,
                    &ptr,
                    RESULT_PATH,
                    "a reference path string or null",
                );
                None
            }
        }
    }

    /// A reference path field (`ItemsPath`, `TimeoutSecondsPath`, `Variable`, ...).
    pub(super) fn reference_path(&mut self, obj: &Obj, key: &str) -> Option<Spanned<Path>> {
        let m = obj.get(key)?;
        let ptr = obj.child(key);
        let origin = self.origin(&m.value, &ptr);
        let JsonValue::String(s) = &m.value.value else {
            self.wrong_type(&m.value, &ptr, key, "a reference path string");
            return None;
        };
        match expr_parse::parse_reference_path(s) {
            Ok(r) => Some(Spanned {
                value: Path::Reference(r),
                origin,
            }),
            Err(e) => {
                self.error(
                    Rule::InvalidPath,
                    origin,
                    format!("\"{key}\" is not a valid reference path: {e}"),
                    "",
                );
                None
            }
        }
    }

    pub(super) fn template_field(
        &mut self,
        obj: &Obj,
        key: &str,
        lang: QueryLanguage,
    ) -> Option<Template> {
        let m = obj.get(key)?;
        let ptr = obj.child(key);
        Some(self.template(&m.value, &ptr, lang))
    }

    /// A payload template. JSONPath: keys ending in `.$` hold an expression.
    /// JSONata: strings `{% ... %}` are expressions.
    pub(super) fn template(&mut self, json: &Json, ptr: &str, lang: QueryLanguage) -> Template {
        let origin = self.origin(json, ptr);
        let node = match &json.value {
            JsonValue::Object(members) if !members.is_empty() => {
                let mut fields = Vec::with_capacity(members.len());
                for m in members {
                    let child = format!("{ptr}/{}", escape_pointer(&m.key));
                    let key_origin = self.key_origin(m, &child);
                    let dynamic = lang == QueryLanguage::JsonPath && m.key.ends_with(".$");
                    if dynamic {
                        let name = m.key[..m.key.len() - 2].to_string();
                        if let Some(expr) = self.template_expression(m, &child) {
                            let value = Template {
                                node: TemplateNode::Expression(expr),
                                origin: self.origin(&m.value, &child),
                            };
                            fields.push(TemplateField {
                                name: Spanned {
                                    value: name,
                                    origin: key_origin,
                                },
                                dynamic,
                                value,
                            });
                        }
                    } else {
                        let value = self.template(&m.value, &child, lang);
                        fields.push(TemplateField {
                            name: Spanned {
                                value: m.key.clone(),
                                origin: key_origin,
                            },
                            dynamic,
                            value,
                        });
                    }
                }
                self.duplicate_template_fields(&fields);
                TemplateNode::Object(fields)
            }
            JsonValue::Array(items) if !items.is_empty() => TemplateNode::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| self.template(item, &format!("{ptr}/{i}"), lang))
                    .collect(),
            ),
            JsonValue::String(s) if lang == QueryLanguage::Jsonata => {
                match self.jsonata_string(s, origin.clone()) {
                    Some(j) => TemplateNode::Jsonata(j),
                    None => TemplateNode::Literal(json.to_serde()),
                }
            }
            _ => TemplateNode::Literal(json.to_serde()),
        };
        Template { node, origin }
    }

    /// Rule `asl::duplicate-template-field`: two members of one template object
    /// produce the same output key, e.g. `"type"` and `"type.$"`; Step Functions
    /// rejects the definition rather than pick one.
    pub(super) fn duplicate_template_fields(&mut self, fields: &[TemplateField]) {
        // One pass with a map from name to first field: linear in the number of
        // fields (a template may have 100,000).
        let mut first_of: std::collections::HashMap<&str, &TemplateField> =
            std::collections::HashMap::with_capacity(fields.len());
        for f in fields {
            if let Some(first) = first_of.get(f.name.value.as_str()) {
                self.error(
                    Rule::DuplicateTemplateField,
                    f.name.origin.clone(),
                    format!(
                        "this template already has a field \"{}\" (line {}): both would set the same key",
                        f.name.value, first.name.origin.line
                    ),
                    "keep either the literal field or the `.$` one",
                );
            } else {
                first_of.insert(&f.name.value, f);
            }
        }
    }

    /// Rule `asl::invalid-payload-template`: the value of a `key.$` member is a
    /// string holding a valid path or intrinsic function call.
    /// `"bad.$": 23`, `"bad.$": "23"`, `"bad.$": "$$23"`.
    pub(super) fn template_expression(&mut self, m: &Member, ptr: &str) -> Option<Expression> {
        let origin = self.origin(&m.value, ptr);
        let JsonValue::String(s) = &m.value.value else {
            self.error(
                Rule::InvalidPayloadTemplate,
                origin,
                format!("\"{}\" must hold a string with a path or intrinsic function, found {}: not a JSONPath or intrinsic function expression", m.key, m.value.type_name()),
                "a key ending in `.$` takes a path (`$.a`) or an intrinsic call (`States.Format(...)`); drop the `.$` for a literal",
            );
            return None;
        };
        match expr_parse::parse_expression(s) {
            Ok(e) => Some(e),
            Err(e) => {
                let rule = if s.starts_with("States.") {
                    Rule::InvalidIntrinsic
                } else {
                    Rule::InvalidPayloadTemplate
                };
                self.error(rule, origin, format!("\"{}\": {e}", m.key), "");
                None
            }
        }
    }

    /// Rules `asl::jsonata-syntax` (the expression is well formed, and the
    /// runtime's evaluator parses it: [`expr_parse::parse_as_runtime`]) and
    /// `asl::unsupported` (it uses what Step Functions' JSONata 2.0.6 does not
    /// have, `??` and `?:`, or a regular expression the runtime's evaluator
    /// cannot run; the runtime refuses exactly these with
    /// [`asl_lang::jsonata::guard`]).
    pub(super) fn check_jsonata(&mut self, j: &Jsonata, origin: Origin) {
        if let Err(e) = expr_parse::check_jsonata(j) {
            self.error(Rule::JsonataSyntax, origin, e, "");
        } else if let Err(refusal) = asl_lang::jsonata::guard(&j.expression) {
            self.error(
                Rule::Unsupported,
                origin,
                format!(
                    "this JSONata expression cannot run here: {}",
                    refusal.message
                ),
                refusal.help,
            );
        } else if let Err(e) = expr_parse::parse_as_runtime(&j.expression) {
            self.error(Rule::JsonataSyntax, origin, e, "");
        }
    }

    /// Rule `asl::jsonata-syntax`: a JSONata string's expression is well
    /// formed. A string is an expression when it starts with `{%` and ends
    /// with `%}`; any other is a literal, one that only resembles an
    /// expression included (`" {% $x %} "`, `"10 %}"`): Step Functions returns
    /// it as written.
    pub(super) fn jsonata_string(&mut self, s: &str, origin: Origin) -> Option<Jsonata> {
        let j = expr_parse::jsonata(s)?;
        self.check_jsonata(&j, origin);
        Some(j)
    }

    /// A field written literally, through its `...Path` twin, or (JSONata) as a
    /// `{% %}` string: `TimeoutSeconds`/`TimeoutSecondsPath`, `MaxConcurrency`, ...
    pub(super) fn dynamic_integer(
        &mut self,
        obj: &Obj,
        key: &str,
        path_key: &str,
        min: u64,
        max: u64,
        what: &str,
    ) -> Option<Dynamic<u64>> {
        self.dynamic(obj, key, path_key, what, |this| {
            this.integer(obj, key, min, max)
        })
    }

    /// [`Self::dynamic_integer`] for a number (`ToleratedFailurePercentage`).
    pub(super) fn dynamic_number(
        &mut self,
        obj: &Obj,
        key: &str,
        path_key: &str,
        min: f64,
        max: f64,
        what: &str,
    ) -> Option<Dynamic<f64>> {
        self.dynamic(obj, key, path_key, what, |this| {
            this.number(obj, key, min, max)
        })
    }

    /// The `...Path` twin, else a JSONata string, else the literal `literal` reads.
    fn dynamic<T>(
        &mut self,
        obj: &Obj,
        key: &str,
        path_key: &str,
        what: &str,
        literal: impl FnOnce(&mut Self) -> Option<Spanned<T>>,
    ) -> Option<Dynamic<T>> {
        self.mutually_exclusive(obj, key, path_key, what);
        if let Some(p) = self.reference_path(obj, path_key) {
            return Some(Dynamic::Path(Spanned {
                value: Expression::Path(p.value),
                origin: p.origin,
            }));
        }
        if let Some(j) = self.jsonata_value(obj, key) {
            return Some(j);
        }
        literal(self).map(Dynamic::Literal)
    }

    /// A `{% %}` string in a field that otherwise takes a number or string (in a
    /// JSONata state; in a JSONPath state it is just a string).
    pub(super) fn jsonata_value<T>(&mut self, obj: &Obj, key: &str) -> Option<Dynamic<T>> {
        if self.state_language != QueryLanguage::Jsonata {
            return None;
        }
        let m = obj.get(key)?;
        let JsonValue::String(s) = &m.value.value else {
            return None;
        };
        let origin = self.origin(&m.value, &obj.child(key));
        let j = expr_parse::jsonata(s)?;
        self.check_jsonata(&j, origin.clone());
        Some(Dynamic::Jsonata(Spanned { value: j, origin }))
    }
}
