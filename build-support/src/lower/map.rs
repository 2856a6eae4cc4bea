//! Parallel and Map states: branches, item processors, items, selectors,
//! concurrency and tolerated failures, and the distributed Map's reader,
//! batcher and writer.

use super::*;

impl Lowerer<'_> {
    // ------------------------------------------------------------ Parallel, Map

    pub(super) fn parallel(&mut self, obj: &Obj, lang: QueryLanguage, what: &str) -> Parallel {
        let mut branches = Vec::new();
        if self.require(obj, BRANCHES, what)
            && let Some((items, ptr)) = self.array(obj, BRANCHES)
        {
            if items.is_empty() {
                let origin = self.origin(&obj.get(BRANCHES).expect("present").value, &ptr);
                self.error(
                    Rule::MissingField,
                    origin,
                    format!("\"Branches\" of {what} is empty: non-empty required"),
                    "",
                );
            }
            for (i, item) in items.iter().enumerate() {
                if let Some(m) =
                    self.machine(item, &format!("{ptr}/{i}"), lang, MachineKind::Branch)
                {
                    branches.push(m);
                }
            }
        }
        Parallel {
            io: self.io(obj, lang, what),
            transition: self.transition(obj, what),
            retry: self.retriers(obj),
            catch: self.catchers(obj, lang),
            branches,
        }
    }

    pub(super) fn map(&mut self, obj: &Obj, lang: QueryLanguage, what: &str) -> Map {
        self.mutually_exclusive(obj, ITEM_PROCESSOR, ITERATOR, what);
        self.mutually_exclusive(obj, ITEMS, ITEMS_PATH, what);
        self.mutually_exclusive(obj, ITEM_SELECTOR, PARAMETERS, what);
        let processor_key = if obj.has(ITEM_PROCESSOR) {
            ITEM_PROCESSOR
        } else {
            ITERATOR
        };
        let state_origin = self.origin(obj.json, &obj.ptr);
        let (item_processor, processor_config) = match obj.get(processor_key) {
            Some(m) => {
                let ptr = obj.child(processor_key);
                let config = self.processor_config(&m.value, &ptr);
                let machine = self.machine(&m.value, &ptr, lang, MachineKind::Processor);
                (machine, config)
            }
            None => {
                self.require(obj, ITEM_PROCESSOR, what);
                (None, ProcessorConfig::default())
            }
        };
        let item_processor = item_processor.unwrap_or_else(|| StateMachine {
            comment: None,
            start_at: Spanned {
                value: String::new(),
                origin: state_origin.clone(),
            },
            states: Vec::new(),
            version: None,
            timeout_seconds: None,
            query_language_field: None,
            query_language: lang,
            origin: state_origin.clone(),
        });
        let items_path = if lang == QueryLanguage::JsonPath {
            self.items_path(obj)
        } else {
            None
        };
        let items = if lang == QueryLanguage::Jsonata {
            self.template_field(obj, ITEMS, lang)
        } else {
            None
        };
        let selector_key = if obj.has(ITEM_SELECTOR) {
            ITEM_SELECTOR
        } else {
            PARAMETERS
        };
        let item_selector = if selector_key == PARAMETERS && lang == QueryLanguage::Jsonata {
            None
        } else {
            self.template_field(obj, selector_key, lang)
        };
        let label = self.string(obj, LABEL);
        if let Some(l) = &label {
            self.label_format(l);
        }
        Map {
            io: self.io(obj, lang, what),
            transition: self.transition(obj, what),
            retry: self.retriers(obj),
            catch: self.catchers(obj, lang),
            item_processor: Box::new(item_processor),
            items_path,
            items,
            item_selector,
            max_concurrency: self.dynamic_integer(
                obj,
                MAX_CONCURRENCY,
                MAX_CONCURRENCY_PATH,
                0,
                MAX_INTEGER_FIELD,
                what,
            ),
            tolerated_failure_percentage: self.dynamic_number(
                obj,
                TOLERATED_FAILURE_PERCENTAGE,
                TOLERATED_FAILURE_PERCENTAGE_PATH,
                0.0,
                100.0,
                what,
            ),
            tolerated_failure_count: self.dynamic_integer(
                obj,
                TOLERATED_FAILURE_COUNT,
                TOLERATED_FAILURE_COUNT_PATH,
                0,
                MAX_INTEGER_FIELD,
                what,
            ),
            item_reader: self.item_reader(obj, lang),
            item_batcher: self.item_batcher(obj, lang),
            result_writer: self.result_writer(obj, lang),
            label,
            processor_config,
        }
    }

    /// Rule `asl::invalid-path` (ItemsPath): a reference path, not null.
    /// `"ItemsPath": null`
    pub(super) fn items_path(&mut self, obj: &Obj) -> Option<Spanned<Path>> {
        let m = obj.get(ITEMS_PATH)?;
        if matches!(m.value.value, JsonValue::Null) {
            let origin = self.origin(&m.value, &obj.child(ITEMS_PATH));
            self.error(
                Rule::InvalidPath,
                origin,
                "\"ItemsPath\" cannot be null: it names the array to iterate over".into(),
                "remove it to iterate over the whole input",
            );
            return None;
        }
        self.reference_path(obj, ITEMS_PATH)
    }

    /// Rule `asl::map-label`: a Map `Label` has at most 40 characters and none of
    /// the characters Step Functions reserves for map-run names.
    pub(super) fn label_format(&mut self, l: &Spanned<String>) {
        let bad = l.value.chars().find(|c| {
            c.is_whitespace() || c.is_control() || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(*c)
        });
        if l.value.chars().count() > MAX_LABEL_CHARS || bad.is_some() {
            self.error(
                Rule::MapLabel,
                l.origin.clone(),
                format!("\"Label\" must have at most {MAX_LABEL_CHARS} characters, without spaces or any of <>{{}}[]?*\"#%\\^|~`$&,;:/"),
                "",
            );
        }
    }

    pub(super) fn processor_config(&mut self, processor: &Json, ptr: &str) -> ProcessorConfig {
        let JsonValue::Object(members) = &processor.value else {
            return ProcessorConfig::default();
        };
        let Some(m) = members.iter().find(|m| m.key == PROCESSOR_CONFIG) else {
            return ProcessorConfig::default();
        };
        let p = format!("{ptr}/{PROCESSOR_CONFIG}");
        let Some(obj) = self.object(&m.value, &p, PROCESSOR_CONFIG) else {
            return ProcessorConfig::default();
        };
        self.unknown_fields(&obj, &[&["Mode", "ExecutionType"]], "\"ProcessorConfig\"");
        let mode = self.enum_field(
            &obj,
            "Mode",
            &[
                ("INLINE", ProcessorMode::Inline),
                ("DISTRIBUTED", ProcessorMode::Distributed),
            ],
        );
        let execution_type = self.enum_field(
            &obj,
            "ExecutionType",
            &[
                ("STANDARD", ExecutionType::Standard),
                ("EXPRESS", ExecutionType::Express),
            ],
        );
        ProcessorConfig {
            mode: mode.map_or(ProcessorMode::Inline, |m| m.value),
            execution_type,
            origin: Some(self.origin(&m.value, &p)),
        }
    }

    pub(super) fn sub_object<'j>(&mut self, obj: &Obj<'j>, key: &str) -> Option<Obj<'j>> {
        let m = obj.get(key)?;
        let ptr = obj.child(key);
        self.object(&m.value, &ptr, key)
    }

    /// The `Parameters` (JSONPath) or `Arguments` (JSONata) of a reader/writer.
    pub(super) fn io_parameters(
        &mut self,
        obj: &Obj,
        lang: QueryLanguage,
        what: &str,
    ) -> Option<Template> {
        self.query_language_fields(obj, lang, what);
        let key = if lang == QueryLanguage::JsonPath {
            PARAMETERS
        } else {
            ARGUMENTS
        };
        self.template_field(obj, key, lang)
    }

    pub(super) fn item_reader(&mut self, obj: &Obj, lang: QueryLanguage) -> Option<ItemReader> {
        let r = self.sub_object(obj, ITEM_READER)?;
        let what = "\"ItemReader\"";
        self.unknown_fields(
            &r,
            &[&[RESOURCE, PARAMETERS, ARGUMENTS, "ReaderConfig"]],
            what,
        );
        self.require(&r, RESOURCE, what);
        let resource = self.string(&r, RESOURCE);
        let parameters = self.io_parameters(&r, lang, what);
        let mut max_items = None;
        let reader_config = match self.sub_object(&r, "ReaderConfig") {
            Some(c) => {
                self.unknown_fields(
                    &c,
                    &[&[
                        "InputType",
                        "CSVHeaderLocation",
                        "CSVHeaders",
                        "MaxItems",
                        "MaxItemsPath",
                        "CSVDelimiter",
                        "ManifestType",
                        "Transformation",
                    ]],
                    "\"ReaderConfig\"",
                );
                self.query_language_fields(&c, lang, "\"ReaderConfig\"");
                // A literal, `MaxItemsPath` (JSONPath) or `{% %}` (JSONata).
                max_items = self.dynamic_integer(
                    &c,
                    "MaxItems",
                    "MaxItemsPath",
                    0,
                    asl_lang::distributed::MAX_ITEMS_LIMIT,
                    "\"ReaderConfig\"",
                );
                Some(Spanned {
                    value: c.json.to_serde(),
                    origin: self.origin(c.json, &c.ptr),
                })
            }
            None => None,
        };
        Some(ItemReader {
            resource: resource.unwrap_or_else(|| Spanned {
                value: String::new(),
                origin: self.origin(r.json, &r.ptr),
            }),
            parameters,
            reader_config,
            max_items,
            origin: self.origin(r.json, &r.ptr),
        })
    }

    pub(super) fn item_batcher(&mut self, obj: &Obj, lang: QueryLanguage) -> Option<ItemBatcher> {
        let b = self.sub_object(obj, ITEM_BATCHER)?;
        let what = "\"ItemBatcher\"";
        self.unknown_fields(
            &b,
            &[&[
                "MaxItemsPerBatch",
                "MaxItemsPerBatchPath",
                "MaxInputBytesPerBatch",
                "MaxInputBytesPerBatchPath",
                "BatchInput",
            ]],
            what,
        );
        self.query_language_fields(&b, lang, what);
        Some(ItemBatcher {
            max_items_per_batch: self.dynamic_integer(
                &b,
                "MaxItemsPerBatch",
                "MaxItemsPerBatchPath",
                0,
                MAX_INTEGER_FIELD,
                what,
            ),
            max_input_bytes_per_batch: self.dynamic_integer(
                &b,
                "MaxInputBytesPerBatch",
                "MaxInputBytesPerBatchPath",
                0,
                262_144,
                what,
            ),
            batch_input: self.template_field(&b, "BatchInput", lang),
            origin: self.origin(b.json, &b.ptr),
        })
    }

    pub(super) fn result_writer(&mut self, obj: &Obj, lang: QueryLanguage) -> Option<ResultWriter> {
        let w = self.sub_object(obj, RESULT_WRITER)?;
        let what = "\"ResultWriter\"";
        self.unknown_fields(
            &w,
            &[&[RESOURCE, PARAMETERS, ARGUMENTS, "WriterConfig"]],
            what,
        );
        Some(ResultWriter {
            resource: self.string(&w, RESOURCE),
            parameters: self.io_parameters(&w, lang, what),
            writer_config: w.get("WriterConfig").map(|m| Spanned {
                value: m.value.to_serde(),
                origin: self.origin(&m.value, &w.child("WriterConfig")),
            }),
            origin: self.origin(w.json, &w.ptr),
        })
    }
}
